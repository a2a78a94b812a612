"""IRNN: a ReLU simple RNN initialised at the identity (Le, Jaitly & Hinton 2015)."""

import math
import numbers

import keras
from keras import ops

from seqlib.layers._checks import check_rate, check_recurrent_call, check_units, require_rank
from seqlib.layers._recurrent_loop import recurrent_loop

# IRNN is defined by these SimpleRNN arguments; `gain` is the only knob.
_FIXED_ARGUMENTS = ("activation", "recurrent_initializer", "bias_initializer")


@keras.saving.register_keras_serializable(package="seqlib")
class IRNN(keras.layers.SimpleRNN):
    """Simple RNN with ReLU units, identity-initialised recurrence and zero bias.

    ```
    h_t = relu(x_t W + h_{t-1} U + b)
    U_0 = gain * I,   b_0 = 0
    ```

    At initialisation the recurrence copies the state forward (scaled by `gain`), so gradients
    neither vanish nor explode through time until training moves `U` away from `gain * I`.
    Le et al. use `gain=1` for long-range tasks and a smaller gain (e.g. 0.01) for language
    modelling. It is `keras.layers.SimpleRNN` (same weights and results) with these arguments
    fixed, and a faster time loop (`_recurrent_loop`).

    Args:
        units: Positive integer, dimensionality of the output space.
        gain: Scale of the identity the recurrent kernel starts at, a number >= 0.
            Default 1.0.
        dropout: Fraction in [0, 1) of the inputs `x_t` to drop, one mask per sequence.
        recurrent_dropout: Fraction in [0, 1) of `h_{t-1}` to drop, one mask per sequence.
        **kwargs: Any other `keras.layers.SimpleRNN` argument except `activation`,
            `recurrent_initializer` and `bias_initializer`, which IRNN fixes.

    Example:

    >>> layer = IRNN(8, return_sequences=True)
    >>> layer(np.zeros((2, 5, 3))).shape
    (2, 5, 8)
    """

    def __init__(self, units, gain=1.0, dropout=0.0, recurrent_dropout=0.0, **kwargs):
        units = check_units(units)
        gain = _check_gain(gain)
        # SimpleRNN silently clips rates into [0, 1]; a rate of 1 or more is a mistake here.
        dropout = check_rate(dropout, "dropout")
        recurrent_dropout = check_rate(recurrent_dropout, "recurrent_dropout")
        fixed = sorted(set(_FIXED_ARGUMENTS) & set(kwargs))
        if fixed:
            raise ValueError(
                f"IRNN fixes {', '.join(fixed)} (relu, gain * identity, zeros); "
                "use keras.layers.SimpleRNN for other choices"
            )
        super().__init__(
            units,
            activation="relu",
            recurrent_initializer=keras.initializers.Identity(gain=gain),
            bias_initializer="zeros",
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            **kwargs,
        )
        self.gain = gain
        # Rank is validated in `build`/`call`, with a message that names the expected layout.
        self.input_spec = None

    def build(self, sequences_shape, initial_state_shape=None):
        require_rank(sequences_shape, 3, "input", "(batch, time, features)")
        super().build(sequences_shape, initial_state_shape)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        check_recurrent_call(
            sequences.shape, self.cell.kernel.shape[0], [self.units], initial_state, mask
        )
        return super().call(sequences, initial_state=initial_state, mask=mask, training=training)

    def inner_loop(self, sequences, initial_state, mask, training=False):
        activation = self.cell.activation

        def update(recurrent, projected, states):
            # `SimpleRNNCell.call`: the activation of `x_t W + b + h_{t-1} U`.
            return [activation(ops.add(projected, recurrent))]

        return recurrent_loop(self, update, sequences, initial_state, mask, training)

    def get_config(self):
        config = super().get_config()
        for key in _FIXED_ARGUMENTS:
            del config[key]
        return {**config, "gain": self.gain}


def _check_gain(gain):
    if (
        isinstance(gain, bool)
        or not isinstance(gain, numbers.Real)
        or not math.isfinite(gain)
        or gain < 0
    ):
        raise ValueError(f"expected `gain` to be a finite number >= 0, got {gain!r}")
    return float(gain)
