"""Encoder-decoder glue shared by lessons 08-10: teacher forcing, step functions, scoring.

Lesson 08 teaches these pieces and the later lessons import them from here:

- ``teacher_forcing_split`` turns ``<bos> y_1 .. y_T <eos>`` targets into decoder inputs and
  labels;
- ``keras_step_fn`` and ``encoder_state`` adapt Keras inference models to the NumPy step
  functions of ``seqlib.decoding``; ``greedy_generate`` chains them;
- ``exact_matches`` scores generated sequences against references;
- ``BahdanauDecoder`` (lesson 09) is the attention decoder of Bahdanau, Cho & Bengio (2015).
"""

import keras
import numpy as np
from keras import ops

from seqlib import decoding
from seqlib.layers import BahdanauAttention


def teacher_forcing_split(targets):
    """Decoder inputs and labels for teacher forcing.

    ``<bos> y_1 .. y_T <eos>`` becomes the input ``<bos> y_1 .. y_T`` and the label
    ``y_1 .. y_T <eos>``: at step t the decoder reads the true y_{t-1} and predicts y_t.

    Args:
        targets: ``(batch, length)`` integer array of padded target sequences, ``length >= 2``.

    Returns:
        ``(decoder_input, labels)``, each ``(batch, length - 1)``.
    """
    targets = np.asarray(targets)
    if targets.ndim != 2 or targets.shape[1] < 2:
        raise ValueError(
            f"targets must be a (batch, length >= 2) array of <bos> ... <eos> sequences, "
            f"got shape {targets.shape}"
        )
    return targets[:, :-1], targets[:, 1:]


def _to_numpy(structure):
    return keras.tree.map_structure(ops.convert_to_numpy, structure)


def keras_step_fn(decoder_step):
    """Wraps a one-step Keras decoder as a ``seqlib.decoding`` step function.

    ``decoder_step`` maps ``[previous_tokens (batch, 1), state]`` to ``[log_probs (batch, V),
    new_state]``, where ``state`` is a tensor or a nested structure (e.g. a dict) of tensors.
    The returned ``step_fn(tokens (batch,), state)`` gives NumPy arrays, so the decoders can
    reorder beams whatever the backend.
    """

    def step_fn(tokens, state):
        tokens = np.asarray(tokens, dtype=np.int32)[:, None]
        log_probs, new_state = decoder_step([tokens, state], training=False)
        return ops.convert_to_numpy(log_probs), _to_numpy(new_state)

    return step_fn


def encoder_state(encoder, inputs):
    """The encoder's output for ``inputs`` as NumPy arrays: the decoders' initial state."""
    return _to_numpy(encoder(inputs, training=False))


def greedy_generate(encoder, decoder_step, inputs, vocab, max_length):
    """Encodes ``inputs`` and decodes greedily; ``(batch, L)`` int32 ids without ``<bos>``."""
    return decoding.greedy_decode(
        keras_step_fn(decoder_step),
        encoder_state(encoder, inputs),
        vocab.bos_id,
        vocab.eos_id,
        max_length,
    )


def exact_matches(predicted_ids, reference_ids, vocab):
    """Per sequence, whether the prediction equals the reference token for token.

    Both are decoded with ``vocab.decode`` (which stops at ``<eos>`` and drops ``<bos>`` and
    padding), so a prediction must have the right tokens *and* the right length.
    """
    if len(predicted_ids) != len(reference_ids):
        raise ValueError(
            f"got {len(predicted_ids)} predictions for {len(reference_ids)} references"
        )
    return np.array(
        [vocab.decode(p) == vocab.decode(r) for p, r in zip(predicted_ids, reference_ids)],
        dtype=bool,
    )


@keras.saving.register_keras_serializable(package="seqlib")
class BahdanauDecoder(keras.layers.Layer):
    """The attention decoder of Bahdanau, Cho & Bengio (2015), with a GRU.

    At output step i the *previous* decoder state s_{i-1} queries the encoder outputs
    h_1 .. h_Tx (``BahdanauAttention``), and the context enters the recurrent update with the
    previous token's embedding e(y_{i-1}):

    ```
    e_ij = v^T tanh(W s_{i-1} + U h_j)
    a_ij = exp(e_ij) / sum_k exp(e_ik)
    c_i  = sum_j a_ij h_j
    s_i  = GRU([e(y_{i-1}); c_i], s_{i-1})
    ```

    A readout then predicts y_i from (s_i, c_i, e(y_{i-1})). Because the query is s_{i-1},
    which depends on the previous step, the steps run one after the other (``keras.ops.scan``)
    even under teacher forcing.

    Args:
        units: Positive integer, the GRU's state size.
        attention_units: Width of the attention MLP; defaults to ``units``.

    Call arguments:
        inputs: ``(batch, time, features)``, the embedded previous tokens e(y_{i-1}).
        initial_state: ``(batch, units)``, s_0.
        values: ``(batch, source_time, value_features)``, the encoder outputs h_j.
        keys: Optional ``(batch, source_time, attention_units)`` from
            ``self.attention.compute_keys(values)``, to reuse across decoding steps.
        source_mask: Optional boolean ``(batch, source_time)``, ``True`` for real source positions.

    Returns:
        ``(states, contexts, weights, final_state)``: s_i ``(batch, time, units)``, c_i
        ``(batch, time, value_features)``, a_ij ``(batch, time, source_time)`` and s_T.
    """

    def __init__(self, units, attention_units=None, **kwargs):
        if not isinstance(units, int) or units <= 0:
            raise ValueError(f"expected `units` to be a positive integer, got {units!r}")
        super().__init__(**kwargs)
        self.units = units
        self.attention_units = attention_units or units
        self.attention = BahdanauAttention(self.attention_units, name="attention")
        self.cell = keras.layers.GRUCell(units, name="gru_cell")
        # Source padding arrives as `source_mask`; the outputs carry no Keras mask.
        self.supports_masking = True

    def build(self, inputs_shape, initial_state_shape, values_shape, keys_shape=None,
              source_mask_shape=None):
        if len(inputs_shape) != 3 or len(values_shape) != 3:
            raise ValueError(
                f"expected inputs (batch, time, features) and values (batch, source_time, "
                f"features), got shapes {tuple(inputs_shape)} and {tuple(values_shape)}"
            )
        batch = inputs_shape[0]
        self.attention.build((batch, self.units), values_shape)
        self.cell.build((batch, inputs_shape[-1] + values_shape[-1]))

    def call(self, inputs, initial_state, values, keys=None, source_mask=None):
        if keys is None:
            keys = self.attention.compute_keys(values)
        weights0 = ops.zeros_like(ops.sum(keys, axis=-1))  # (batch, source_time)
        context0 = ops.zeros_like(values[:, 0])

        def step(carry, embedded):
            context, weights = self.attention(carry["state"], values, keys=keys, mask=source_mask)
            output, _ = self.cell(ops.concatenate([embedded, context], axis=-1), carry["state"])
            # TensorFlow's scan emits outputs shaped like the carry, so the carry holds all three.
            new = {"state": output, "context": context, "weights": weights}
            return new, new

        init = {"state": initial_state, "context": context0, "weights": weights0}
        final, outputs = ops.scan(step, init, ops.transpose(inputs, (1, 0, 2)))
        time_major = lambda x: ops.transpose(x, (1, 0, 2))  # noqa: E731
        return (
            time_major(outputs["state"]),
            time_major(outputs["context"]),
            time_major(outputs["weights"]),
            final["state"],
        )

    def compute_mask(self, inputs, previous_mask=None):
        return None

    def compute_output_shape(self, inputs_shape, initial_state_shape, values_shape,
                             keys_shape=None, source_mask_shape=None):
        batch, time = inputs_shape[0], inputs_shape[1]
        return (
            (batch, time, self.units),
            (batch, time, values_shape[-1]),
            (batch, time, values_shape[1]),
            (batch, self.units),
        )

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "attention_units": self.attention_units}
