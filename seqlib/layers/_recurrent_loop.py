"""The time loop of the seqlib RNN layers, with the bias folded into the input matmul.

Every step of these RNNs computes `x_t W + b + h_{t-1} U`. The layers append a constant-one
feature to every input and the bias as one more row of the kernel, once before the loop,

```
[x_t, 1] [W; b] = x_t W + b
```

so each step has one op (the bias add) fewer, and its backward pass neither reduces the bias
gradient over the batch nor accumulates it across steps: the bias gradient is one more row of
the kernel gradient the loop computes anyway. On the TensorFlow CPU backend (batch 64, T=100,
d=32, u=128) this, with the peepholes broadcast once (`GatedRNN.inner_loop`), took 2-6% off a
PeepholeLSTM train step and about 10% off an IRNN one. The loop is the one `keras.layers.RNN`
runs, so masks, `go_backwards`, `unroll` and `zero_output_for_mask` behave as there.

Hoisting the whole input projection out of the loop (one `(time, batch, d) x (d, gates * units)`
matmul) is the same math but measured 15-20% slower there, even time-major: the loop then reads,
and the backward pass stacks, a `gates * units` wide sequence instead of a `d` wide one, and that
memory traffic costs more than the small per-step matmul it saves.

Without a mask the last output is the final `h` (the first state of every seqlib cell), so when
the layer returns only that (`return_sequences=False`) the steps emit an empty tensor and the last
output is read from the final state. The loop then stores no output per step, and its backward
pass reads and resets none: three ops fewer per backward step on TensorFlow, about 2% of a
PeepholeLSTM train step there. With a mask the outputs are kept, since a masked step repeats (or,
with `zero_output_for_mask`, zeroes) the output rather than carrying the state.

The cells keep their own per-step `call`, so they still run in `keras.layers.RNN`,
`StackedRNNCells` and hand-written loops; tests check that cell and layer agree.
"""

from keras import ops

from seqlib.layers._keras_internals import rnn


def recurrent_loop(layer, step, sequences, initial_state, mask=None, training=False):
    """Runs `step` over time, like `keras.layers.RNN.inner_loop` with its cell's `call`.

    Args:
        layer: The `keras.layers.RNN` subclass being called. Its cell has `kernel`, `bias` (or
            `None`), `dropout` and the `DropoutRNNCell` mask cache; the layer's
            `go_backwards`, `unroll`, `zero_output_for_mask` and `return_sequences` apply.
        step: `step(projection_t, states) -> (output_t, new_states)`, the rest of the cell
            after its input projection `x_t W + b`; it applies recurrent dropout itself, and
            its output must be the new first state `h_t`.
        sequences: `(batch, time, features)` input.
        initial_state: List of `(batch, width)` states.
        mask: Optional `(batch, time)` boolean mask, or a list whose first entry is it.
        training: Whether dropout is active.

    Returns:
        `(last_output, outputs, states)`, as `keras.layers.RNN.inner_loop` returns them, except
        that `outputs` is empty (and unused by `keras.layers.RNN.call`) when the layer returns
        only the last output of an unmasked sequence.
    """
    cell = layer.cell
    if isinstance(mask, (list, tuple)):
        mask = mask[0]
    if training and cell.dropout > 0.0:
        # The cell's per-sequence mask (cached by `RNN.call`), the same at every step.
        sequences = sequences * ops.expand_dims(cell.get_dropout_mask(sequences[:, 0, :]), 1)
    kernel = cell.kernel
    if cell.bias is not None:
        sequences = ops.concatenate([sequences, ops.ones_like(sequences[:, :, :1])], axis=-1)
        kernel = ops.concatenate([kernel, ops.expand_dims(cell.bias, 0)], axis=0)

    emit_outputs = layer.return_sequences or mask is not None
    nothing = ops.zeros((0,), dtype=sequences.dtype)

    def loop_step(inputs, states):
        output, new_states = step(ops.matmul(inputs, kernel), states)
        return (output if emit_outputs else nothing), new_states

    last_output, outputs, states = rnn(
        loop_step,
        sequences,
        list(initial_state),
        go_backwards=layer.go_backwards,
        mask=mask,
        unroll=layer.unroll,
        input_length=sequences.shape[1],
        zero_output_for_mask=layer.zero_output_for_mask,
        return_all_outputs=layer.return_sequences,
    )
    if not emit_outputs:
        last_output = states[0]
    return last_output, outputs, states
