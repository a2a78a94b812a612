"""Graded tests for assignment a1_rnn_numpy: a vanilla RNN and BPTT in NumPy.

Expected values come from `fixtures/a1_rnn_numpy.npz` (an independent reference implementation),
from central-difference gradient checks and from direct NumPy formulas on random shapes.
"""

from pathlib import Path

import numpy as np
import pytest

FIXTURES = np.load(Path(__file__).parent / "fixtures" / "a1_rnn_numpy.npz")
GRADIENT_NAMES = ("dx", "dh_prev", "dWx", "dWh", "db")
SEQUENCE_GRADIENT_NAMES = ("dx", "dh0", "dWx", "dWh", "db")


def fixture(prefix, *names):
    # Copies, so that a submission mutating its inputs cannot corrupt later tests.
    return [FIXTURES[f"{prefix}_{name}"].copy() for name in names]


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
    assert isinstance(result, tuple) and len(result) == length, (
        f"{name} should return a tuple of {length} values, got {type(result).__name__}"
        + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else "")
    )


def random_rnn(rng, sequence=False):
    """Random inputs and weights with random small shapes, float64."""
    n, t, d, h = (int(v) for v in rng.integers(1, 5, size=4))
    x_shape = (n, t, d) if sequence else (n, d)
    return (
        rng.normal(size=x_shape),
        rng.normal(size=(n, h)),
        rng.normal(scale=0.7, size=(d, h)),
        rng.normal(scale=0.7, size=(h, h)),
        rng.normal(size=h),
    )


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


def reference_forward(x, h0, Wx, Wh, b):
    states, h = [], h0
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ Wx + h @ Wh + b)
        states.append(h)
    return np.stack(states, axis=1)


# rnn_step_forward ---------------------------------------------------------------------------


@pytest.mark.points(8)
def test_step_forward_matches_reference_values(submission):
    x, h_prev, Wx, Wh, b, expected = fixture("step", "x", "h_prev", "Wx", "Wh", "b", "h_next")
    result = submission.rnn_step_forward(x, h_prev, Wx, Wh, b)
    assert_tuple("rnn_step_forward", result, 2)
    assert_array("h_next", result[0], expected)


@pytest.mark.parametrize("seed", [11, 12])
@pytest.mark.points(3)
def test_step_forward_random_shapes_keep_dtype(submission, seed):
    rng = np.random.default_rng(seed)
    inputs = [a.astype(np.float32) for a in random_rnn(rng)]
    x, h_prev, Wx, Wh, b = inputs
    h_next, _ = submission.rnn_step_forward(*inputs)
    # float32 in, float32 out: the step must not silently upcast.
    assert_array("h_next", h_next, np.tanh(x @ Wx + h_prev @ Wh + b), rtol=1e-5, atol=1e-6)


# rnn_step_backward --------------------------------------------------------------------------


@pytest.mark.points(8)
def test_step_backward_matches_reference_values(submission):
    x, h_prev, Wx, Wh, b, dh_next = fixture("step", "x", "h_prev", "Wx", "Wh", "b", "dh_next")
    _, cache = submission.rnn_step_forward(x, h_prev, Wx, Wh, b)
    result = submission.rnn_step_backward(dh_next, cache)
    assert_tuple("rnn_step_backward", result, 5)
    for name, actual, expected in zip(GRADIENT_NAMES, result, fixture("step", *GRADIENT_NAMES)):
        assert_array(name, actual, expected)


@pytest.mark.parametrize("seed", [21, 22])
@pytest.mark.points(6)
def test_step_backward_gradient_check(submission, seed):
    rng = np.random.default_rng(seed)
    params = list(random_rnn(rng))
    dh_next = rng.normal(size=params[1].shape)
    _, cache = submission.rnn_step_forward(*params)
    result = submission.rnn_step_backward(dh_next, cache)
    assert_tuple("rnn_step_backward", result, 5)
    for name, param, analytic in zip(GRADIENT_NAMES, params, result):
        numeric = numerical_gradient(
            lambda: submission.rnn_step_forward(*params)[0], param, dh_next
        )
        assert_array(f"{name} (gradient check)", analytic, numeric, rtol=1e-5, atol=1e-7)


# rnn_forward --------------------------------------------------------------------------------


@pytest.mark.points(8)
def test_forward_matches_reference_values(submission):
    x, h0, Wx, Wh, b, expected = fixture("seq", "x", "h0", "Wx", "Wh", "b", "h")
    result = submission.rnn_forward(x, h0, Wx, Wh, b)
    assert_tuple("rnn_forward", result, 2)
    assert_array("h", result[0], expected)


@pytest.mark.parametrize("seed", [31, 32])
@pytest.mark.points(3)
def test_forward_random_shapes(submission, seed):
    params = random_rnn(np.random.default_rng(seed), sequence=True)
    h, _ = submission.rnn_forward(*params)
    assert_array("h", h, reference_forward(*params))


@pytest.mark.points(4)
def test_forward_rejects_inconsistent_shapes(submission):
    x, h0, Wx, Wh, b = fixture("seq", "x", "h0", "Wx", "Wh", "b")
    h, _ = submission.rnn_forward(x, h0, Wx, Wh, b)
    assert_array("h", h, reference_forward(x, h0, Wx, Wh, b))
    bad_calls = {
        "x of rank 2": (x[:, 0], h0, Wx, Wh, b),
        "h0 with the wrong batch size": (x, h0[:1], Wx, Wh, b),
        "Wh not square": (x, h0, Wx, Wh[:, :-1], b),
    }
    for problem, args in bad_calls.items():
        with pytest.raises(ValueError):
            submission.rnn_forward(*args)
            pytest.fail(f"rnn_forward accepted {problem}; it should raise ValueError")


# rnn_backward -------------------------------------------------------------------------------


@pytest.mark.points(8)
def test_backward_matches_reference_values(submission):
    x, h0, Wx, Wh, b, dh = fixture("seq", "x", "h0", "Wx", "Wh", "b", "dh")
    _, cache = submission.rnn_forward(x, h0, Wx, Wh, b)
    result = submission.rnn_backward(dh, cache)
    assert_tuple("rnn_backward", result, 5)
    expected = fixture("seq", *SEQUENCE_GRADIENT_NAMES)
    for name, actual, wanted in zip(SEQUENCE_GRADIENT_NAMES, result, expected):
        assert_array(name, actual, wanted)


@pytest.mark.parametrize("seed", [41, 42])
@pytest.mark.points(7)
def test_backward_gradient_check(submission, seed):
    rng = np.random.default_rng(seed)
    params = list(random_rnn(rng, sequence=True))
    dh = rng.normal(size=reference_forward(*params).shape)
    _, cache = submission.rnn_forward(*params)
    result = submission.rnn_backward(dh, cache)
    assert_tuple("rnn_backward", result, 5)
    for name, param, analytic in zip(SEQUENCE_GRADIENT_NAMES, params, result):
        numeric = numerical_gradient(lambda: submission.rnn_forward(*params)[0], param, dh)
        assert_array(f"{name} (gradient check)", analytic, numeric, rtol=1e-5, atol=1e-7)


# jacobian_product_norms ---------------------------------------------------------------------


@pytest.mark.points(4)
def test_jacobian_product_norms_scalar_explodes_and_vanishes(submission):
    for w, expected_last in ((1.1, 117.39085287969579), (0.9, 0.005153775207320113)):
        norms = submission.jacobian_product_norms(w, 50)
        assert_array(f"jacobian_product_norms({w}, 50)", norms, w ** np.arange(51.0), rtol=1e-9)
        assert norms[-1] == pytest.approx(expected_last, rel=1e-9), (
            f"{w}^50 should be {expected_last:.6g}, got {norms[-1]!r}"
        )


@pytest.mark.parametrize("seed", [51, 52])
@pytest.mark.points(2)
def test_jacobian_product_norms_random_matrix(submission, seed):
    rng = np.random.default_rng(seed)
    size, steps = int(rng.integers(2, 6)), int(rng.integers(3, 12))
    Wh = rng.normal(scale=0.6, size=(size, size))
    powers = [np.linalg.matrix_power(Wh, k) for k in range(steps + 1)]
    expected = np.array([np.linalg.svd(power, compute_uv=False)[0] for power in powers])
    assert_array("jacobian_product_norms", submission.jacobian_product_norms(Wh, steps), expected)


@pytest.mark.points(1)
def test_jacobian_product_norms_orthogonal_matrix_preserves_norm(submission):
    orthogonal, _ = np.linalg.qr(np.random.default_rng(53).normal(size=(4, 4)))
    norms = submission.jacobian_product_norms(orthogonal, 20)
    assert_array("jacobian_product_norms(orthogonal, 20)", norms, np.ones(21))


# clip_by_global_norm ------------------------------------------------------------------------


def random_grads(rng):
    return [rng.normal(size=tuple(rng.integers(1, 4, size=k))) for k in (1, 2, 3)]


def assert_clip_result(result, expected_grads, expected_norm):
    assert_tuple("clip_by_global_norm", result, 2)
    clipped, norm = result
    assert isinstance(clipped, list), f"clipped should be a list, got {type(clipped).__name__}"
    assert len(clipped) == len(expected_grads), (
        f"expected {len(expected_grads)} clipped gradients, got {len(clipped)}"
    )
    for index, (actual, expected) in enumerate(zip(clipped, expected_grads)):
        assert_array(f"clipped[{index}]", actual, expected, rtol=1e-10, atol=0)
    assert isinstance(norm, (float, np.floating)), (
        f"global_norm should be a float, got {type(norm).__name__}"
    )
    assert norm == pytest.approx(expected_norm, rel=1e-10), (
        f"global_norm: expected {expected_norm!r}, got {norm!r}"
    )


@pytest.mark.parametrize("seed", [61, 62])
@pytest.mark.points(3)
def test_clip_scales_large_gradients_to_max_norm(submission, seed):
    rng = np.random.default_rng(seed)
    grads = [10.0 * g for g in random_grads(rng)]
    norm = np.sqrt(sum(np.sum(g**2) for g in grads))
    max_norm = float(rng.uniform(0.5, 2.0))
    result = submission.clip_by_global_norm(grads, max_norm)
    assert_clip_result(result, [g * (max_norm / norm) for g in grads], norm)
    clipped_norm = np.sqrt(sum(np.sum(g**2) for g in result[0]))
    assert clipped_norm == pytest.approx(max_norm, rel=1e-10), (
        f"after clipping the global norm should equal max_norm={max_norm}, got {clipped_norm}"
    )


@pytest.mark.points(3)
def test_clip_leaves_small_gradients_unchanged(submission):
    grads = random_grads(np.random.default_rng(63))
    norm = np.sqrt(sum(np.sum(g**2) for g in grads))
    result = submission.clip_by_global_norm(grads, norm * 1.5)
    assert_clip_result(result, grads, norm)
    for index, (clipped, grad) in enumerate(zip(result[0], grads)):
        assert clipped is not grad, (
            f"clipped[{index}] must be a new array even when nothing is scaled, not the input"
        )
    # Exactly at the threshold nothing changes either.
    assert_clip_result(submission.clip_by_global_norm(grads, norm), grads, norm)


@pytest.mark.points(3)
def test_clip_zero_gradients_stay_zero(submission):
    grads = [np.zeros((2, 3)), np.zeros(4)]
    with np.errstate(all="raise"):  # a division by a zero norm raises instead of warning
        result = submission.clip_by_global_norm(grads, 1.0)
    assert_clip_result(result, [np.zeros((2, 3)), np.zeros(4)], 0.0)


@pytest.mark.points(3)
def test_clip_does_not_mutate_inputs_and_keeps_dtype(submission):
    rng = np.random.default_rng(64)
    grads = [(5.0 * g).astype(np.float32) for g in random_grads(rng)]
    originals = [g.copy() for g in grads]
    clipped, _ = submission.clip_by_global_norm(grads, 1.0)
    for index, (grad, original) in enumerate(zip(grads, originals)):
        np.testing.assert_array_equal(
            grad, original, err_msg=f"clip_by_global_norm modified its input grads[{index}]"
        )
        assert clipped[index] is not grad, f"clipped[{index}] must be a new array, not the input"
        assert clipped[index].dtype == np.float32, (
            f"clipped[{index}]: expected dtype float32 like the input, got {clipped[index].dtype}"
        )


@pytest.mark.points(2)
def test_clip_rejects_non_positive_max_norm(submission):
    grads = [np.full(4, 2.0)]
    assert_clip_result(submission.clip_by_global_norm(grads, 2.0), [np.ones(4)], 4.0)
    for max_norm in (0.0, -1.0):
        with pytest.raises(ValueError):
            submission.clip_by_global_norm(grads, max_norm)
            pytest.fail(f"clip_by_global_norm accepted max_norm={max_norm}")
