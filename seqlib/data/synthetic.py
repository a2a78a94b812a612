"""Synthetic long-range dependency tasks: the adding problem, copy/reverse and temporal order.

Each generator is pure NumPy, deterministic for a given ``seed`` (an int or a
``numpy.random.SeedSequence``) and works for any sequence length.
"""

import numpy as np

from seqlib.data._checks import check_int

TEMPORAL_ORDER_SYMBOLS = ("X", "Y", "a", "b", "c", "d")
TEMPORAL_ORDER_CLASSES = ("XX", "XY", "YX", "YY")


def adding_problem(num_examples, length, seed=0):
    """The adding problem (Hochreiter & Schmidhuber 1997; Le et al. 2015).

    Feature 0 holds values drawn from U[0, 1]; feature 1 is a marker that is 1 at exactly two
    steps, one uniformly in the first half ``[0, T // 2)`` and one in the second half
    ``[T // 2, T)``, and 0 elsewhere. The target is the sum of the two marked values, so a model
    must remember a value across up to ``T`` steps. Predicting 1.0 always gives MSE ~ 1/6.

    Returns:
        ``x`` of shape ``(num_examples, length, 2)`` and ``y`` of shape ``(num_examples,)``,
        both float32.
    """
    num_examples = check_int("num_examples", num_examples, 1)
    length = check_int("length (T)", length, 2)
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(num_examples, length))
    half = length // 2
    first = rng.integers(0, half, size=num_examples)
    second = rng.integers(half, length, size=num_examples)
    rows = np.arange(num_examples)
    markers = np.zeros((num_examples, length))
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1).astype(np.float32)
    y = (x[rows, first, 0] + x[rows, second, 0]).astype(np.float32)
    return x, y


def copy_task(num_examples, length, num_symbols=8, reverse=False, seed=0):
    """Random symbol sequences to copy (or reverse).

    Symbols are drawn uniformly from ``1..num_symbols``; id 0 is left free for padding.

    Returns:
        ``source`` and ``target``, int32 arrays of shape ``(num_examples, length)``;
        ``target`` equals ``source``, reversed along time when ``reverse=True``.
    """
    num_examples = check_int("num_examples", num_examples, 1)
    length = check_int("length", length, 1)
    num_symbols = check_int("num_symbols", num_symbols, 1)
    rng = np.random.default_rng(seed)
    source = rng.integers(1, num_symbols + 1, size=(num_examples, length)).astype(np.int32)
    target = source[:, ::-1].copy() if reverse else source.copy()
    return source, target


def temporal_order(num_examples, length, seed=0):
    """The temporal order problem (Hochreiter & Schmidhuber 1997, experiment 6a).

    Every step is a one-hot symbol from ``TEMPORAL_ORDER_SYMBOLS``. All steps hold a random
    distractor ``a``-``d`` except two: one at ``t1`` in ``[T // 10, 2T // 10]`` and one at
    ``t2`` in ``[T // 2, 6T // 10]`` (the original's 10-20 and 50-60 for T = 100), each ``X``
    or ``Y``. The class is the ordered pair: 0 = XX, 1 = XY, 2 = YX, 3 = YY
    (``TEMPORAL_ORDER_CLASSES``).

    Returns:
        ``x`` float32 of shape ``(num_examples, length, 6)`` and ``y`` int32 of shape
        ``(num_examples,)`` with values in 0..3.
    """
    num_examples = check_int("num_examples", num_examples, 1)
    length = check_int("length (T)", length, 2)
    rng = np.random.default_rng(seed)
    # Distractors a, b, c, d are symbols 2..5.
    symbols = rng.integers(2, 6, size=(num_examples, length))
    first = rng.integers(length // 10, 2 * length // 10 + 1, size=num_examples)
    second = rng.integers(length // 2, 6 * length // 10 + 1, size=num_examples)
    # X is symbol 0 and Y is symbol 1, so the symbols double as the bits of the class.
    first_symbol = rng.integers(0, 2, size=num_examples)
    second_symbol = rng.integers(0, 2, size=num_examples)
    rows = np.arange(num_examples)
    symbols[rows, first] = first_symbol
    symbols[rows, second] = second_symbol
    x = np.eye(len(TEMPORAL_ORDER_SYMBOLS), dtype=np.float32)[symbols]
    y = (2 * first_symbol + second_symbol).astype(np.int32)
    return x, y
