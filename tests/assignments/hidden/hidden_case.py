"""What hidden tests share so that nothing about their inputs shows before release:
`with concealed(): check(...)` fails without inputs or values, and `@cases(...)` parametrizes
with opaque ids, since a test id (`test_x[case2]`) is shown in grades and on Gradescope."""

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


def cases(argnames: str, argvalues):
    """`pytest.mark.parametrize(argnames, argvalues)` with the ids case1, case2, ... instead of
    ids made of the values (seeds, shapes, edge cases)."""
    argvalues = list(argvalues)
    return pytest.mark.parametrize(argnames, argvalues,
                                   ids=[f"case{index}" for index in range(1, len(argvalues) + 1)])
