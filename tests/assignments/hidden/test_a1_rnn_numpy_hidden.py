"""Hidden graded tests for assignment a1_rnn_numpy: the public checks on other shapes, seeds and
edge cases (a single time step, a batch of one, wide and narrow layers). Never shipped to
students; a failure names no input.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
from hidden_case import cases, concealed

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "public"))
from test_a1_rnn_numpy import (  # noqa: E402
    BAD_FORWARD_CALLS,
    check_clip,
    check_forward,
    check_forward_rejects,
    check_gradient_check,
    check_norms_random_matrix,
    check_step_forward,
)


@pytest.mark.points(2)
@cases("seed, sizes", [(101, (1, 1, 5, 2)), (102, (6, 1, 2, 7))])
def test_step_forward_other_shapes(submission, graded_source, seed, sizes):
    """rnn_step_forward on other shapes."""
    with concealed():
        check_step_forward(submission, graded_source, seed, sizes)


@pytest.mark.points(3)
@cases("seed, sizes", [(111, (1, 1, 3, 2)), (112, (4, 1, 5, 3))])
def test_step_backward_other_shapes(submission, graded_source, seed, sizes):
    """rnn_step_backward gradient check on other shapes."""
    with concealed():
        check_gradient_check(submission, graded_source, seed, sizes, sequence=False)


@pytest.mark.points(2)
@cases("seed, sizes", [(121, (3, 1, 2, 2)), (122, (1, 9, 3, 5))])
def test_forward_other_shapes(submission, graded_source, seed, sizes):
    """rnn_forward on other shapes, including a single time step."""
    with concealed():
        check_forward(submission, graded_source, seed, sizes)


@pytest.mark.points(1)
@cases("problem", sorted(BAD_FORWARD_CALLS))
def test_forward_rejects_each_bad_shape(submission, graded_source, problem):
    """rnn_forward rejects each kind of inconsistent shape."""
    with concealed():
        check_forward(submission, graded_source, 123, (2, 2, 2, 2))
        check_forward_rejects(submission, problem)


@pytest.mark.points(5)
@cases("seed, sizes", [(131, (2, 1, 2, 3)), (132, (3, 6, 2, 2))])
def test_backward_other_shapes(submission, graded_source, seed, sizes):
    """rnn_backward gradient check on other shapes, including a single time step."""
    with concealed():
        check_gradient_check(submission, graded_source, seed, sizes, sequence=True)


@pytest.mark.points(2)
@cases("seed, size, steps", [(141, 2, 0), (142, 5, 9)])
def test_jacobian_product_norms_other_matrices(submission, graded_source, seed, size, steps):
    """jacobian_product_norms on other matrices, including zero steps."""
    with concealed():
        check_norms_random_matrix(submission, graded_source, seed, size, steps)


@pytest.mark.points(2)
def test_jacobian_product_norms_orthogonal_matrix_preserves_norm(submission, graded_source):
    """jacobian_product_norms of an orthogonal matrix stay 1."""
    orthogonal, _ = np.linalg.qr(np.random.default_rng(143).normal(size=(4, 4)))
    with concealed():
        check_norms_random_matrix(submission, graded_source, 144, 3, 4)
        norms = submission.jacobian_product_norms(orthogonal, 20)
        assert isinstance(norms, np.ndarray) and norms.shape == (21,)
        np.testing.assert_allclose(norms, np.ones(21), rtol=1e-9)


@pytest.mark.points(2)
@cases(
    "seed, shapes, scale, ratio",
    [(151, [(5,)], 3.0, 0.3), (152, [(1,), (2, 3, 2), (4, 1)], 10.0, 0.01),
     (153, [(3, 3), (2,)], 1.0, 2.0)],
)
def test_clip_other_gradients(submission, graded_source, seed, shapes, scale, ratio):
    """clip_by_global_norm on other lists of gradients, above and below max_norm."""
    with concealed():
        check_clip(submission, graded_source, seed, shapes, scale, ratio)


@pytest.mark.points(1)
def test_clip_zero_and_float32_edge_cases(submission, graded_source):
    """clip_by_global_norm: zero gradients, and float32 below the norm."""
    with concealed():
        check_clip(submission, graded_source, 154, [(3,), (1,)], 0.0, 1.0)
        check_clip(submission, graded_source, 155, [(2, 2)], 1.0, 3.0, dtype=np.float32)
