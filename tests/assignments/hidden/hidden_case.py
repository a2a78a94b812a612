"""Hidden tests fail without showing their inputs: `with concealed(): check(...)`."""

import contextlib

import pytest


@contextlib.contextmanager
def concealed():
    """Turns any failure inside into one that names no input, expected or actual value."""
    try:
        yield
    except (Exception, pytest.fail.Exception) as error:
        kind = "wrong result" if isinstance(error, (AssertionError, pytest.fail.Exception)) else (
            f"{type(error).__name__} raised"
        )
        raise AssertionError(f"{kind} on a hidden case (its inputs are not shown)") from None
