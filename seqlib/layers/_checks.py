"""Argument and shape validation shared by the seqlib layers.

Checks run on Python values and static shapes before any backend op, so a caller who passes
the wrong thing gets a message naming the argument and the expected layout instead of a
backend traceback.
"""

import numbers

import numpy as np


def check_units(units, name="units"):
    """Returns `units` as an `int`; accepts NumPy integers, rejects bools and non-positives."""
    # `bool` is an `int` subclass, so `units=True` would otherwise pass as 1.
    if isinstance(units, bool) or not isinstance(units, numbers.Integral) or units <= 0:
        raise ValueError(f"expected `{name}` to be a positive integer, got {units!r}")
    return int(units)


def check_rate(rate, name):
    """Returns a dropout `rate` as a `float` in [0, 1); anything else raises `ValueError`."""
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0.0 <= rate < 1.0:
        raise ValueError(f"expected `{name}` to be a number in [0, 1), got {rate!r}")
    return float(rate)


def require_rank(shape, ranks, name, layout):
    """Raises `ValueError` unless `shape` has one of the ranks in `ranks`.

    Args:
        shape: The static shape (tuple) to check.
        ranks: An int or a tuple of allowed ranks.
        name: How the message names the tensor, e.g. `"input"` or `"query"`.
        layout: The expected layout, e.g. `"(batch, time, features)"`.
    """
    ranks = (ranks,) if isinstance(ranks, int) else tuple(ranks)
    if len(shape) not in ranks:
        expected = " or ".join(str(rank) for rank in ranks)
        raise ValueError(
            f"expected {name} of rank {expected} {layout}, got rank {len(shape)} "
            f"with shape {tuple(shape)}"
        )


def require_dim(actual, expected, description):
    """Raises `ValueError` when two static sizes are both known and differ."""
    if _differs(actual, expected):
        raise ValueError(f"expected {description} of {expected}, got {actual}")


def check_recurrent_call(sequences_shape, features, state_sizes, initial_state, mask):
    """Validates the arguments of a recurrent layer's `call` against its input and cell.

    Args:
        sequences_shape: Static shape of the input, which must be `(batch, time, features)`.
        features: The feature count the layer was built for.
        state_sizes: The cell's state widths, e.g. `[units, units]` for an LSTM.
        initial_state: `None`, a tensor, or a list of tensors, one `(batch, width)` per state.
        mask: `None` or a `(batch, time)` tensor.
    """
    layout = "(batch, time, features)"
    require_rank(sequences_shape, 3, "input", layout)
    require_dim(sequences_shape[-1], features, "input features (last axis)")
    batch, time = sequences_shape[0], sequences_shape[1]
    if isinstance(mask, (list, tuple)):  # Keras may pass one mask per input; the first applies
        mask = mask[0]
    if mask is not None:
        shape = tuple(mask.shape) if hasattr(mask, "shape") else np.shape(mask)
        if len(shape) != 2 or _differs(shape[0], batch) or _differs(shape[1], time):
            raise ValueError(
                f"expected mask of shape (batch, time) = {(batch, time)} to match the input "
                f"{tuple(sequences_shape)}, got shape {shape}"
            )
    if initial_state is None:
        return
    states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
    if len(states) != len(state_sizes):
        raise ValueError(
            f"expected initial_state to be a list of {len(state_sizes)} tensor(s) of widths "
            f"{list(state_sizes)}, got {len(states)}"
        )
    for index, (state, width) in enumerate(zip(states, state_sizes)):
        shape = tuple(state.shape) if hasattr(state, "shape") else np.shape(state)
        if len(shape) != 2 or _differs(shape[0], batch) or _differs(shape[1], width):
            raise ValueError(
                f"expected initial_state[{index}] of shape (batch, {width}) = "
                f"{(batch, width)}, got shape {shape}"
            )


def _differs(actual, expected):
    """True when two static sizes are both known and differ."""
    return actual is not None and expected is not None and actual != expected
