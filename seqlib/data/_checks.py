"""Argument checks shared by the dataset generators, so bad input fails with a plain message."""

import numbers


def check_int(name, value, minimum):
    """Return ``value`` as an ``int`` after checking that it is an integer ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_choice(name, value, choices):
    """Return ``value`` after checking that it is one of ``choices``."""
    if value not in choices:
        supported = ", ".join(repr(choice) for choice in choices)
        raise ValueError(f"unknown {name} {value!r}; supported: {supported}")
    return value
