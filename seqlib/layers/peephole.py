"""LSTM with peephole connections (Gers & Schmidhuber 2000)."""

import keras
from keras import ops

from seqlib.layers._recurrent import GatedCell, GatedRNN


@keras.saving.register_keras_serializable(package="seqlib")
class PeepholeLSTMCell(GatedCell):
    """LSTM cell whose gates also see the cell state through diagonal peephole weights.

    With `W` the kernel `(features, 4 * units)`, `U` the recurrent kernel `(units, 4 * units)`
    and `b` the bias, all in gate order `i, f, c, o`, and `p_i, p_f, p_o` the peephole vectors
    `(units,)` (elementwise products, i.e. diagonal peephole matrices):

    ```
    i_t = sigmoid(x_t W_i + h_{t-1} U_i + b_i + p_i * c_{t-1})
    f_t = sigmoid(x_t W_f + h_{t-1} U_f + b_f + p_f * c_{t-1})
    c_t = f_t * c_{t-1} + i_t * tanh(x_t W_c + h_{t-1} U_c + b_c)
    o_t = sigmoid(x_t W_o + h_{t-1} U_o + b_o + p_o * c_t)
    h_t = o_t * tanh(c_t)
    ```

    The output gate peeks at the new state `c_t`; the input and forget gates at `c_{t-1}`.
    `sigmoid` and `tanh` are `recurrent_activation` and `activation`. With zero peepholes this
    is exactly `keras.layers.LSTMCell` with the same weight layout.

    Args:
        units: Positive integer, dimensionality of the output and cell state.
        activation: Activation of the candidate and of the output. Default `"tanh"`.
        recurrent_activation: Activation of the gates. Default `"sigmoid"`.
        use_bias: Whether the gates have a bias. Default `True`.
        kernel_initializer, recurrent_initializer, bias_initializer: As in `LSTMCell`.
        peephole_initializer: Initializer of `p_i, p_f, p_o`. Default `"zeros"`, so a fresh
            cell starts as a plain LSTM and learns how much to peek.
        unit_forget_bias: If `True`, the forget-gate bias starts at 1. Default `True`.
        *_regularizer, *_constraint: Per-weight regularizers and constraints.
        dropout: Fraction of the inputs `x_t` to drop, one mask per sequence.
        recurrent_dropout: Fraction of `h_{t-1}` to drop, one mask per sequence.
        seed: Random seed for dropout.

    Call arguments:
        inputs: `(batch, features)` tensor.
        states: `[h_{t-1}, c_{t-1}]`, each `(batch, units)`.
        training: Whether dropout is active.
    """

    gate_count = 4
    forget_gate_index = 1

    def build(self, input_shape):
        super().build(input_shape)
        self.input_peephole = self.add_peephole("input_peephole")
        self.forget_peephole = self.add_peephole("forget_peephole")
        self.output_peephole = self.add_peephole("output_peephole")

    @property
    def peepholes(self):
        return (self.input_peephole, self.forget_peephole, self.output_peephole)

    def update_state(self, recurrent, projected, c_tm1, p_i, p_f, p_o, axis=-1):
        # Gate by gate, so that each gate's input and peephole terms are summed before the
        # recurrent block arrives: one add between it and the activation.
        r_i, r_f, r_c, r_o = ops.split(recurrent, 4, axis=axis)
        x_i, x_f, x_c, x_o = ops.split(projected, 4, axis=axis)
        i = self.recurrent_activation(r_i + (x_i + p_i * c_tm1))
        f = self.recurrent_activation(r_f + (x_f + p_f * c_tm1))
        c = f * c_tm1 + i * self.activation(r_c + x_c)
        o = self.recurrent_activation((r_o + x_o) + p_o * c)
        return o * self.activation(c), c


@keras.saving.register_keras_serializable(package="seqlib")
class PeepholeLSTM(GatedRNN):
    """Peephole LSTM layer (Gers & Schmidhuber 2000) over `(batch, time, features)` inputs.

    Runs `PeepholeLSTMCell` (see its docstring for the equations) over time.

    Args:
        units: Positive integer, dimensionality of the output and cell state.
        activation, recurrent_activation, use_bias, *_initializer, unit_forget_bias,
        *_regularizer, *_constraint, dropout, recurrent_dropout, seed: As in
            `PeepholeLSTMCell`.
        activity_regularizer: Regularizer applied to the layer output.
        return_sequences: Return the whole output sequence rather than the last output.
        return_state: Also return the final `h_T` and `c_T`.
        go_backwards: Process the sequence backwards and return the reversed outputs.
        stateful: Carry the final states of each batch over as the next batch's initial states.
        unroll: Unroll the time loop (only for short, fixed-length sequences).

    Call arguments:
        sequences: `(batch, time, features)` tensor.
        initial_state: Optional `[h_0, c_0]`, each `(batch, units)`.
        mask: Optional boolean `(batch, time)`; masked steps carry the previous state over.
        training: Whether dropout is active.

    Example:

    >>> layer = PeepholeLSTM(8, return_sequences=True)
    >>> layer(np.zeros((2, 5, 3))).shape
    (2, 5, 8)
    """

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        peephole_initializer="zeros",
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        peephole_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        peephole_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        **kwargs,
    ):
        cell = PeepholeLSTMCell(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            peephole_initializer=peephole_initializer,
            unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            peephole_regularizer=peephole_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            peephole_constraint=peephole_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="peephole_lstm_cell",
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )
