"""Graded tests of the demo assignment (10 points): a vanilla RNN in NumPy.

References are written independently of the notebook so a wrong submission cannot agree with
them by construction.
"""

import numpy as np
import pytest


def _params(features=4, units=3, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(features, units)), rng.normal(size=(units, units)),
            rng.normal(size=units))


@pytest.mark.points(2)
def test_one_hot(submission):
    encoded = submission.one_hot(np.array([[0, 2], [1, 1]]), depth=3)
    assert encoded.shape == (2, 2, 3)
    assert encoded.dtype == np.float32
    np.testing.assert_array_equal(encoded.argmax(-1), [[0, 2], [1, 1]])
    np.testing.assert_array_equal(encoded.sum(-1), np.ones((2, 2)))


@pytest.mark.points(3)
def test_rnn_step(submission):
    W_x, W_h, b = _params()
    rng = np.random.default_rng(1)
    x, h = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    expected = np.array([[np.tanh(sum(x[i, k] * W_x[k, j] for k in range(4))
                                  + sum(h[i, k] * W_h[k, j] for k in range(3)) + b[j])
                          for j in range(3)] for i in range(5)])
    np.testing.assert_allclose(submission.rnn_step(x, h, W_x, W_h, b), expected, rtol=1e-6)


@pytest.mark.points(5)
def test_rnn_forward_carries_the_state(submission):
    W_x, W_h, b = _params()
    rng = np.random.default_rng(2)
    xs, h0 = rng.normal(size=(2, 6, 4)), rng.normal(size=(2, 3))
    states = submission.rnn_forward(xs, h0, W_x, W_h, b)
    assert states.shape == (2, 6, 3)
    h = h0
    for t in range(6):
        h = np.tanh(xs[:, t] @ W_x + h @ W_h + b)
        np.testing.assert_allclose(states[:, t], h, rtol=1e-6, err_msg=f"state at step {t}")
