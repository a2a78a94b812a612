"""The time loop of the seqlib RNN layers: the bias folded into the kernel, feature-major on TF.

Every step of these RNNs computes, for each gate `k`, `x_t W_k + b_k + h_{t-1} U_k`. On
TensorFlow the loop keeps every per-step tensor transposed, as `(features, batch)` columns
(`feature_major`), and appends a constant one to every input and the bias as one more column of
`W^T`, once before the loop:

```
W^T [x_t; 1] + U^T h_{t-1} = (x_t W + b + h_{t-1} U)^T
```

On the TensorFlow CPU backend without XLA (Keras's default there; batch 64, T=100, d=32,
u=128), each of these choices measured faster than Keras's own loop:

- Gate blocks are rows of the `(gates * units, batch)` products, so splitting them into gates
  costs no copy (the blocks share the product's buffer); split along the last axis, each is a
  copy. `U^T h^T` and its backward product `U dz^T` also run faster than `h U` and `dz U^T`.
- The bias folded in saves the bias add, and its gradient is one more column of the kernel
  gradient the loop computes anyway, not a sum over the batch at every step.
- The input and recurrent products reach the cell apart, so it can sum its input block, bias
  and peephole terms before the recurrent block arrives; PeepholeLSTM does, and on the step's
  critical path (the chain through `h_{t-1}`) each gate then needs one add before its
  activation. In Keras's default mode both CPU threads follow that chain (the idle one spins),
  so its length, more than the number of ops, sets a step's CPU time.
- With only the last output wanted (`return_sequences=False`), the steps emit an empty tensor
  and the last output is read from the final state, so the loop stores no output per step and
  back-propagates through none.

Together with the peepholes broadcast once per sequence (`GatedRNN.inner_loop`), these took a
PeepholeLSTM train step from about 1.1x to about 1.0x of `keras.layers.LSTM`'s
(`benchmarks/cells.py`). On other backends, where XLA compiles the loop, it stays batch-major
(`x_t [W; b]`), with the same split products, folded bias and empty outputs.

Hoisting the whole input projection out of the loop, one `(time * batch, d) x (d, gates * units)`
matmul, is the same math but measured 15-20% slower on TensorFlow: the loop then reads, and
its backward pass writes, a `gates * units` wide sequence instead of a `d` wide one, through
TensorFlow's TensorLists. Also measured, and no faster in a PeepholeLSTM train step in the
default mode:

- summing the two products once and then splitting (fewer ops, but a longer critical path);
- the input and forget gates as one `(2 * units, batch)` block (one sigmoid, but `c_{t-1}` is
  then concatenated twice per step), or with packed or `(units, 1)` peepholes;
- the bias unfolded, as one add per step or one per gate (the folded bias makes the kernel
  gradient's matmul slower, `d + 1` columns, but still costs less);
- `sigmoid(x)` as `0.5 * tanh(0.5 * x) + 0.5` (a single sigmoid is cheaper in the loop);
- one recurrent matmul per gate (no split, but four products each way), `einsum` products, two
  steps per iteration, and a hand-written fused backward pass (`custom_gradient`).

The loop is the one `keras.layers.RNN` runs, so `go_backwards` and `unroll` behave as there.
A masked step keeps the states and outputs the kept `h`, or zeros with `zero_output_for_mask`;
that is Keras's rule on every backend but one corner of TensorFlow's, whose loop outputs zeros,
not the initial `h`, at masked steps before the first unmasked one. The cells keep their own
per-step, batch-major `call` on the same gate math, so they still run in `keras.layers.RNN`,
`StackedRNNCells` and hand-written loops; tests check that cell and layer agree.
"""

import keras
from keras import ops

from seqlib.layers._keras_internals import rnn


def feature_major():
    """Whether the loop keeps per-step tensors as `(units, batch)` columns (TensorFlow only).

    Elsewhere XLA compiles the loop, and the transposed products measured about 4% slower in a
    PeepholeLSTM train step on JAX, so the loop stays batch-major there.
    """
    return keras.backend.backend() == "tensorflow"


def unit_axis():
    """The axis of the loop's per-step tensors that holds the units (and gate blocks)."""
    return 0 if feature_major() else -1


def broadcast_to_state(vector, state):
    """A `(units,)` vector broadcast to the loop's layout of a `(batch, units)` state."""
    batch, units = ops.shape(state)
    if feature_major():
        return ops.broadcast_to(ops.expand_dims(vector, 1), (units, batch))
    return ops.broadcast_to(vector, (batch, units))


def recurrent_loop(layer, update, sequences, initial_state, mask=None, training=False):
    """Runs a layer's cell over time, like `keras.layers.RNN.inner_loop` with its cell's `call`.

    Args:
        layer: The `keras.layers.RNN` subclass being called. Its cell has `units`, `kernel`
            `(features, gates * units)`, `recurrent_kernel` `(units, gates * units)`, `bias`
            (or `None`), `dropout`, `recurrent_dropout` and the `DropoutRNNCell` mask cache;
            the layer's `go_backwards`, `unroll`, `zero_output_for_mask` and
            `return_sequences` apply.
        update: `update(recurrent, projected, states) -> new_states`, the cell's gates from
            `h_{t-1} U` and `x_t W + b`, whose gate blocks lie along `unit_axis()`; the first
            new state is the output `h_t`. Products and states are `(units, batch)` where
            `feature_major()`, else `(batch, units)`.
        sequences: `(batch, time, features)` input.
        initial_state: List of `(batch, units)` states.
        mask: Optional `(batch, time)` boolean mask, or a list whose first entry is it.
        training: Whether dropout is active.

    Returns:
        `(last_output, outputs, states)`, as `keras.layers.RNN.inner_loop` returns them, except
        that `outputs` is empty (and unused by `keras.layers.RNN.call`) when the layer returns
        only the last output.
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

    columns = feature_major()
    # `orient` turns a `(rows, width)` matrix into the loop's layout and back, and `x_t W` is
    # `product(x_t, W)` in the loop's layout.
    orient = ops.transpose if columns else (lambda matrix: matrix)

    def product(vector, matrix):
        return ops.matmul(matrix, vector) if columns else ops.matmul(vector, matrix)

    kernel, recurrent_kernel = orient(kernel), orient(cell.recurrent_kernel)
    recurrent_mask = None
    if training and cell.recurrent_dropout > 0.0:
        recurrent_mask = orient(cell.get_recurrent_dropout_mask(initial_state[0]))
    states = [orient(state) for state in initial_state]
    # Time-major: (time, features, batch) or (time, batch, features).
    inputs = ops.transpose(sequences, (1, 2, 0) if columns else (1, 0, 2))

    def cell_step(x, states):
        h_tm1 = states[0] if recurrent_mask is None else states[0] * recurrent_mask
        return update(product(h_tm1, recurrent_kernel), product(x, kernel), states)

    masked = mask is not None
    # The output is the state `h_t`, except at steps masked under `zero_output_for_mask`.
    emit = layer.return_sequences or (masked and layer.zero_output_for_mask)
    nothing = ops.zeros((0,), dtype=inputs.dtype)

    def loop_step(step_inputs, states):
        x, keep = step_inputs if masked else (step_inputs, None)
        new_states = cell_step(x, states)
        if masked:
            new_states = [ops.where(keep, new, old) for new, old in zip(new_states, states)]
        output = new_states[0]
        if masked and layer.zero_output_for_mask:
            output = ops.where(keep, output, ops.zeros_like(output))
        return (output if emit else nothing), new_states

    loop_inputs = inputs
    if masked:
        # (time, 1, batch) or (time, batch, 1); transposed as numbers, because oneDNN's
        # transpose logs an error on booleans.
        keep = ops.transpose(ops.cast(mask, inputs.dtype))
        keep = ops.cast(ops.expand_dims(keep, 1 if columns else 2), "bool")
        loop_inputs = (inputs, keep)

    last_output, outputs, final_states = rnn(
        loop_step,
        loop_inputs,
        states,
        go_backwards=layer.go_backwards,
        unroll=layer.unroll,
        input_length=inputs.shape[0],
        time_major=True,
        return_all_outputs=layer.return_sequences,
    )
    final_states = [orient(state) for state in final_states]
    if not emit:
        return final_states[0], outputs, final_states
    if layer.return_sequences:
        outputs = ops.transpose(outputs, (2, 0, 1) if columns else (1, 0, 2))
    return orient(last_output), outputs, final_states
