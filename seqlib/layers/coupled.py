"""LSTM with coupled input and forget gates, CIFG (Greff et al. 2017)."""

import keras
from keras import ops

from seqlib.layers._recurrent import GatedCell, GatedRNN


@keras.saving.register_keras_serializable(package="seqlib")
class CoupledLSTMCell(GatedCell):
    """LSTM cell with coupled input and forget gates (CIFG), optionally with peepholes.

    The input gate is tied to the forget gate, `i_t = 1 - f_t`, so the cell writes exactly as
    much as it forgets and has three gate blocks instead of four. With `W` the kernel
    `(features, 3 * units)`, `U` the recurrent kernel `(units, 3 * units)` and `b` the bias,
    all in gate order `f, c, o`, and optional peephole vectors `p_f, p_o` `(units,)`:

    ```
    f_t = sigmoid(x_t W_f + h_{t-1} U_f + b_f [+ p_f * c_{t-1}])
    i_t = 1 - f_t
    c_t = f_t * c_{t-1} + i_t * tanh(x_t W_c + h_{t-1} U_c + b_c)
    o_t = sigmoid(x_t W_o + h_{t-1} U_o + b_o [+ p_o * c_t])
    h_t = o_t * tanh(c_t)
    ```

    The bracketed terms exist only with `use_peepholes=True`. `sigmoid` and `tanh` are
    `recurrent_activation` and `activation`.

    Args:
        units: Positive integer, dimensionality of the output and cell state.
        use_peepholes: Add the diagonal peepholes `p_f` and `p_o`. Default `False`.
        activation: Activation of the candidate and of the output. Default `"tanh"`.
        recurrent_activation: Activation of the gates. Default `"sigmoid"`.
        use_bias: Whether the gates have a bias. Default `True`.
        kernel_initializer, recurrent_initializer, bias_initializer: As in `LSTMCell`.
        peephole_initializer: Initializer of the peepholes. Default `"zeros"`.
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

    gate_count = 3
    forget_gate_index = 0

    def __init__(self, units, use_peepholes=False, **kwargs):
        super().__init__(units, **kwargs)
        self.use_peepholes = use_peepholes

    def build(self, input_shape):
        super().build(input_shape)
        if self.use_peepholes:
            self.forget_peephole = self.add_peephole("forget_peephole")
            self.output_peephole = self.add_peephole("output_peephole")

    @property
    def peepholes(self):
        return (self.forget_peephole, self.output_peephole) if self.use_peepholes else ()

    def update_state(self, recurrent, projected, c_tm1, *peepholes, axis=-1):
        # One sum, then the split: per-gate sums (as in PeepholeLSTM) only pay off for a cell
        # with peephole terms to add ahead of the recurrent block, and measured slower here.
        z_f, z_c, z_o = ops.split(ops.add(projected, recurrent), 3, axis=axis)
        if self.use_peepholes:
            p_f, p_o = peepholes
            z_f = z_f + p_f * c_tm1
        f = self.recurrent_activation(z_f)
        # c_t = f c_{t-1} + (1 - f) g, written as g + f (c_{t-1} - g) to save one product.
        g = self.activation(z_c)
        c = g + f * (c_tm1 - g)
        if self.use_peepholes:
            z_o = z_o + p_o * c
        o = self.recurrent_activation(z_o)
        return o * self.activation(c), c

    def get_config(self):
        return {**super().get_config(), "use_peepholes": self.use_peepholes}


@keras.saving.register_keras_serializable(package="seqlib")
class CoupledLSTM(GatedRNN):
    """Coupled input-forget gate LSTM layer, CIFG (Greff et al. 2017).

    Runs `CoupledLSTMCell` (see its docstring for the equations, `i_t = 1 - f_t`) over time.

    Args:
        units: Positive integer, dimensionality of the output and cell state.
        use_peepholes: Add diagonal peepholes to the forget and output gates.
        activation, recurrent_activation, use_bias, *_initializer, unit_forget_bias,
        *_regularizer, *_constraint, dropout, recurrent_dropout, seed: As in
            `CoupledLSTMCell`.
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

    >>> layer = CoupledLSTM(8, use_peepholes=True)
    >>> layer(np.zeros((2, 5, 3))).shape
    (2, 8)
    """

    def __init__(
        self,
        units,
        use_peepholes=False,
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
        cell = CoupledLSTMCell(
            units,
            use_peepholes=use_peepholes,
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
            name="coupled_lstm_cell",
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

    @property
    def use_peepholes(self):
        return self.cell.use_peepholes
