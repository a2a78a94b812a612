"""Public graded tests for assignment a1_rnn_numpy: a vanilla RNN and BPTT in NumPy.

Students run these with the self-check; the hidden tests (`hidden/test_a1_rnn_numpy_hidden.py`)
reuse the `check_*` functions below on other shapes, seeds and edge cases. Expected values come
from `fixtures/a1_rnn_numpy.npz` (an independent reference implementation) and from the NumPy
references and central differences below, all computed in this trusted process.
"""

from pathlib import Path

import numpy as np
import pytest

from autograder.own_work import assert_own_work

FIXTURES = np.load(Path(__file__).parent / "fixtures" / "a1_rnn_numpy.npz")
GRADIENT_NAMES = ("dx", "dh_prev", "dWx", "dWh", "db")
SEQUENCE_GRADIENT_NAMES = ("dx", "dh0", "dWx", "dWh", "db")
# Central differences agree with an exact gradient to about this much.
GRADIENT_CHECK = {"rtol": 1e-5, "atol": 1e-7}
# Graded cells are plain NumPy: no autodiff library may compute a gradient for them.
ALLOWED_MODULES = ("numpy", "math")


def fixture(prefix, *names):
    return [FIXTURES[f"{prefix}_{name}"].copy() for name in names]


def stored(prefix):
    """Where a stored case's inputs are, for the failure message."""
    names = sorted(key for key in FIXTURES.files if key.startswith(f"{prefix}_"))
    shapes = ", ".join(f"{key} {FIXTURES[key].shape}" for key in names)
    return (f"the stored case in tests/assignments/public/fixtures/a1_rnn_numpy.npz "
            f"(np.load it; arrays {shapes})")


def assert_own(graded_source, name, forbidden=()):
    assert_own_work(graded_source, name, ALLOWED_MODULES, forbidden)


def describe(**arrays):
    """The shapes of a test's inputs, for the failure message."""
    return ", ".join(f"{name} {np.shape(value)}" for name, value in arrays.items())


def assert_array(name, actual, expected, rtol=1e-6, atol=1e-8):
    """Type, shape and dtype first, so only a real ndarray with the right values passes."""
    assert isinstance(actual, np.ndarray), (
        f"{name}: expected a numpy.ndarray, got {type(actual).__name__}"
    )
    assert actual.shape == expected.shape, (
        f"{name}: expected shape {expected.shape}, got {actual.shape}"
    )
    assert actual.dtype == expected.dtype, (
        f"{name}: expected dtype {expected.dtype}, got {actual.dtype}"
    )
    np.testing.assert_allclose(
        actual, expected, rtol=rtol, atol=atol, err_msg=f"{name}: values differ from the reference"
    )


def assert_tuple(name, result, length):
    assert isinstance(result, (tuple, list)) and len(result) == length, (
        f"{name} should return a tuple of {length} values, got {type(result).__name__}"
        + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else "")
    )


def random_rnn(rng, sizes, sequence=False, dtype=np.float64):
    """Random inputs and weights for sizes (N, T, D, H)."""
    n, t, d, h = sizes
    x_shape = (n, t, d) if sequence else (n, d)
    arrays = (
        rng.normal(size=x_shape),
        rng.normal(size=(n, h)),
        rng.normal(scale=0.7, size=(d, h)),
        rng.normal(scale=0.7, size=(h, h)),
        rng.normal(size=h),
    )
    return [a.astype(dtype) for a in arrays]


def reference_step(x, h_prev, Wx, Wh, b):
    return np.tanh(x @ Wx + h_prev @ Wh + b)


def reference_forward(x, h0, Wx, Wh, b):
    states, h = [], h0
    for t in range(x.shape[1]):
        h = reference_step(x[:, t], h, Wx, Wh, b)
        states.append(h)
    return np.stack(states, axis=1)


def numerical_gradient(f, x, upstream, eps=1e-6):
    """Central differences of sum(f() * upstream) with respect to x (perturbed in place)."""
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + eps
        plus = np.sum(f() * upstream)
        x[index] = original - eps
        minus = np.sum(f() * upstream)
        x[index] = original
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def reference_gradients(forward, params, upstream):
    """Gradients of sum(forward(*params) * upstream) for every parameter, by central
    differences of the trusted NumPy reference."""
    return [numerical_gradient(lambda: forward(*params), p, upstream) for p in params]


def check_states(submission, graded_source, params, expected, where, *, sequence, **tolerance):
    """The student's forward pass, of one step or (`sequence`) of a whole sequence, and the
    hidden states it returns against `expected`."""
    forward, state = ("rnn_forward", "h") if sequence else ("rnn_step_forward", "h_next")
    assert_own(graded_source, forward)
    result = getattr(submission, forward)(*params)
    assert_tuple(forward, result, 2)
    assert_array(f"{state} for {where}", result[0], expected, **tolerance)


def check_gradients(submission, graded_source, params, upstream, expected, where, *, sequence,
                    **tolerance):
    """The student's forward then backward pass, of one step or (`sequence`) of a whole
    sequence, and its five gradients against `expected`."""
    forward, backward = (("rnn_forward", "rnn_backward") if sequence
                         else ("rnn_step_forward", "rnn_step_backward"))
    assert_own(graded_source, backward)
    _, cache = getattr(submission, forward)(*params)
    result = getattr(submission, backward)(upstream, cache)
    assert_tuple(backward, result, 5)
    names = SEQUENCE_GRADIENT_NAMES if sequence else GRADIENT_NAMES
    for name, actual, wanted in zip(names, result, expected):
        assert_array(f"{name} for {where}", actual, wanted, **tolerance)


def check_gradient_check(submission, graded_source, seed, sizes, *, sequence):
    """`check_gradients` on a random case of sizes (N, T, D, H), against central differences
    of the NumPy reference."""
    rng = np.random.default_rng(seed)
    params = random_rnn(rng, sizes, sequence=sequence)
    n, t, _, h = sizes
    upstream = rng.normal(size=(n, t, h) if sequence else (n, h))
    expected = reference_gradients(reference_forward if sequence else reference_step, params,
                                   upstream)
    check_gradients(submission, graded_source, params, upstream, expected,
                    f"{describe(x=params[0], Wh=params[3])} (gradient check)", sequence=sequence,
                    **GRADIENT_CHECK)


# rnn_step_forward ---------------------------------------------------------------------------


def check_step_forward(submission, graded_source, seed, sizes, dtype=np.float64):
    params = random_rnn(np.random.default_rng(seed), sizes, dtype=dtype)
    tolerance = {"rtol": 1e-5, "atol": 1e-6} if dtype == np.float32 else {}
    check_states(submission, graded_source, params, reference_step(*params),
                 describe(x=params[0], Wh=params[3]), sequence=False, **tolerance)


@pytest.mark.points(5)
def test_step_forward_matches_reference_values(submission, graded_source):
    """rnn_step_forward: h_next of the stored reference case."""
    *params, expected = fixture("step", "x", "h_prev", "Wx", "Wh", "b", "h_next")
    check_states(submission, graded_source, params, expected, stored("step"), sequence=False)


@pytest.mark.points(3)
def test_step_forward_keeps_float32(submission, graded_source):
    """rnn_step_forward: float32 in, float32 out."""
    check_step_forward(submission, graded_source, 11, (3, 1, 2, 4), dtype=np.float32)


# rnn_step_backward --------------------------------------------------------------------------


@pytest.mark.points(6)
def test_step_backward_matches_reference_values(submission, graded_source):
    """rnn_step_backward: the five gradients of the stored reference case."""
    *params, dh_next = fixture("step", "x", "h_prev", "Wx", "Wh", "b", "dh_next")
    check_gradients(submission, graded_source, params, dh_next, fixture("step", *GRADIENT_NAMES),
                    stored("step"), sequence=False)


@pytest.mark.points(6)
def test_step_backward_gradient_check(submission, graded_source):
    """rnn_step_backward: central differences on a random (N, D, H) = (3, 2, 4) case."""
    check_gradient_check(submission, graded_source, 21, (3, 1, 2, 4), sequence=False)


# rnn_forward --------------------------------------------------------------------------------


def check_forward(submission, graded_source, seed, sizes):
    params = random_rnn(np.random.default_rng(seed), sizes, sequence=True)
    check_states(submission, graded_source, params, reference_forward(*params),
                 describe(x=params[0], Wh=params[3]), sequence=True)


@pytest.mark.points(5)
def test_forward_matches_reference_values(submission, graded_source):
    """rnn_forward: all hidden states of the stored reference case."""
    *params, expected = fixture("seq", "x", "h0", "Wx", "Wh", "b", "h")
    check_states(submission, graded_source, params, expected, stored("seq"), sequence=True)


@pytest.mark.points(3)
def test_forward_random_shapes(submission, graded_source):
    """rnn_forward: a random (N, T, D, H) = (2, 5, 3, 4) case."""
    check_forward(submission, graded_source, 31, (2, 5, 3, 4))


BAD_FORWARD_CALLS = {
    "x of rank 2": lambda x, h0, Wx, Wh, b: (x[:, 0], h0, Wx, Wh, b),
    "h0 with the wrong batch size": lambda x, h0, Wx, Wh, b: (x, h0[:1], Wx, Wh, b),
    "Wh not square": lambda x, h0, Wx, Wh, b: (x, h0, Wx, Wh[:, :-1], b),
}


def check_forward_rejects(submission, problem):
    args = BAD_FORWARD_CALLS[problem](*fixture("seq", "x", "h0", "Wx", "Wh", "b"))
    with pytest.raises(ValueError):
        submission.rnn_forward(*args)
        pytest.fail(f"rnn_forward accepted {problem}; it should raise ValueError")


@pytest.mark.points(2)
def test_forward_rejects_inconsistent_shapes(submission, graded_source):
    """rnn_forward: a ValueError for x of rank 2, a wrong batch size or a non-square Wh."""
    check_forward(submission, graded_source, 33, (2, 3, 2, 3))
    for problem in BAD_FORWARD_CALLS:
        check_forward_rejects(submission, problem)


# rnn_backward -------------------------------------------------------------------------------


@pytest.mark.points(7)
def test_backward_matches_reference_values(submission, graded_source):
    """rnn_backward: the five gradients of the stored reference case."""
    *params, dh = fixture("seq", "x", "h0", "Wx", "Wh", "b", "dh")
    check_gradients(submission, graded_source, params, dh,
                    fixture("seq", *SEQUENCE_GRADIENT_NAMES), stored("seq"), sequence=True)


@pytest.mark.points(7)
def test_backward_gradient_check(submission, graded_source):
    """rnn_backward: central differences on a random (N, T, D, H) = (2, 4, 3, 3) case."""
    check_gradient_check(submission, graded_source, 41, (2, 4, 3, 3), sequence=True)


# jacobian_product_norms ---------------------------------------------------------------------


def check_norms_random_matrix(submission, graded_source, seed, size, steps):
    assert_own(graded_source, "jacobian_product_norms", forbidden=("matrix_power",))
    Wh = np.random.default_rng(seed).normal(scale=0.6, size=(size, size))
    powers = [np.linalg.matrix_power(Wh, k) for k in range(steps + 1)]
    expected = np.array([np.linalg.svd(power, compute_uv=False)[0] for power in powers])
    assert_array(f"jacobian_product_norms(Wh of shape {Wh.shape}, {steps})",
                 submission.jacobian_product_norms(Wh, steps), expected)


@pytest.mark.points(3)
def test_jacobian_product_norms_scalar_explodes_and_vanishes(submission, graded_source):
    """jacobian_product_norms: 1.1^k explodes and 0.9^k vanishes."""
    assert_own(graded_source, "jacobian_product_norms", forbidden=("matrix_power",))
    for w in (1.1, 0.9):
        norms = submission.jacobian_product_norms(w, 50)
        assert_array(f"jacobian_product_norms({w}, 50)", norms, w ** np.arange(51.0), rtol=1e-9)


@pytest.mark.points(2)
def test_jacobian_product_norms_random_matrix(submission, graded_source):
    """jacobian_product_norms: spectral norms of the powers of a random 3 x 3 matrix."""
    check_norms_random_matrix(submission, graded_source, 51, 3, 6)


# clip_by_global_norm ------------------------------------------------------------------------


def random_grads(rng, shapes, scale=1.0, dtype=np.float64):
    return [(scale * rng.normal(size=shape)).astype(dtype) for shape in shapes]


def global_norm(grads):
    return float(np.sqrt(sum(np.sum(np.square(g.astype(np.float64))) for g in grads)))


def assert_clip_result(result, expected_grads, expected_norm, what, rtol=1e-10):
    assert_tuple("clip_by_global_norm", result, 2)
    clipped, norm = result
    assert isinstance(clipped, list), f"clipped should be a list, got {type(clipped).__name__}"
    assert len(clipped) == len(expected_grads), (
        f"expected {len(expected_grads)} clipped gradients, got {len(clipped)}"
    )
    for index, (actual, expected) in enumerate(zip(clipped, expected_grads)):
        assert_array(f"{what}: clipped[{index}]", actual, expected, rtol=rtol, atol=0)
    assert isinstance(norm, (float, np.floating)), (
        f"global_norm should be a float, got {type(norm).__name__}"
    )
    assert norm == pytest.approx(expected_norm, rel=rtol), (
        f"{what}: global_norm expected {expected_norm!r}, got {norm!r}"
    )


def check_clip(submission, graded_source, seed, shapes, scale, ratio, dtype=np.float64):
    """Gradients of `shapes` times `scale`, clipped at `ratio` times their global norm."""
    assert_own(graded_source, "clip_by_global_norm")
    grads = random_grads(np.random.default_rng(seed), shapes, scale, dtype)
    norm = global_norm(grads)
    max_norm = ratio * norm if norm else 1.0
    factor = max_norm / max(norm, max_norm)
    expected = [(g * factor).astype(dtype) for g in grads]
    what = f"grads of shapes {[g.shape for g in grads]}, max_norm {ratio:g} x their norm"
    rtol = 1e-5 if dtype == np.float32 else 1e-10
    assert_clip_result(submission.clip_by_global_norm(grads, max_norm), expected, norm, what,
                       rtol)


@pytest.mark.points(3)
def test_clip_scales_large_gradients_to_max_norm(submission, graded_source):
    """clip_by_global_norm: gradients above max_norm are scaled together to max_norm."""
    check_clip(submission, graded_source, 61, [(3,), (2, 2), (2, 1, 3)], 10.0, 0.1)


@pytest.mark.points(3)
def test_clip_leaves_small_gradients_unchanged(submission, graded_source):
    """clip_by_global_norm: gradients at or below max_norm are unchanged."""
    check_clip(submission, graded_source, 63, [(2,), (3, 2)], 1.0, 1.5)
    check_clip(submission, graded_source, 63, [(2,), (3, 2)], 1.0, 1.0)


@pytest.mark.points(2)
def test_clip_zero_gradients_stay_zero(submission, graded_source):
    """clip_by_global_norm: all-zero gradients stay zero (no division by a zero norm)."""
    check_clip(submission, graded_source, 64, [(2, 3), (4,)], 0.0, 1.0)


@pytest.mark.points(2)
def test_clip_keeps_float32(submission, graded_source):
    """clip_by_global_norm: float32 gradients stay float32."""
    check_clip(submission, graded_source, 65, [(4,), (2, 3)], 5.0, 0.2, dtype=np.float32)


@pytest.mark.points(1)
def test_clip_rejects_non_positive_max_norm(submission, graded_source):
    """clip_by_global_norm: a ValueError for max_norm <= 0."""
    check_clip(submission, graded_source, 66, [(4,)], 2.0, 0.5)
    for max_norm in (0.0, -1.0):
        with pytest.raises(ValueError):
            submission.clip_by_global_norm([np.full(4, 2.0)], max_norm)
            pytest.fail(f"clip_by_global_norm accepted max_norm={max_norm}")
