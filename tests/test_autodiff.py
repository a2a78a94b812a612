import keras
import numpy as np
import pytest

from seqlib.autodiff import grad


def test_gradient_of_a_polynomial():
    x = np.array([1.0, -2.0, 3.0], dtype="float32")
    y = np.array(2.0, dtype="float32")
    dx, dy = grad(lambda x, y: keras.ops.sum(x**2) * y + y**3, x, y)
    np.testing.assert_allclose(dx, 2 * x * 2.0, rtol=1e-6)
    np.testing.assert_allclose(dy, np.sum(x**2) + 3 * 4.0, rtol=1e-6)


def test_unused_argument_gets_zero_gradient():
    (dx, dz) = grad(lambda x, z: keras.ops.sum(x), np.ones(3), np.ones((2, 2)))
    np.testing.assert_array_equal(dx, np.ones(3))
    np.testing.assert_array_equal(dz, np.zeros((2, 2)))


def test_weight_gradients_through_stateless_call_match_the_closed_form():
    # L = mean((x w + b - y)^2): dL/dw = 2/n x^T r, dL/db = 2/n sum(r), with r = x w + b - y.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 3)).astype("float32")
    y = rng.normal(size=(8, 1)).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    w, b = [keras.ops.convert_to_numpy(v) for v in model.trainable_variables]

    def loss(*weights):
        prediction, _ = model.stateless_call(list(weights), [], x)
        return keras.ops.mean((prediction - y) ** 2)

    dw, db = grad(loss, w, b)
    residual = x @ w + b - y
    np.testing.assert_allclose(dw, 2 / 8 * x.T @ residual, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(db, 2 / 8 * residual.sum(0), rtol=1e-5, atol=1e-6)


def test_bad_calls_are_rejected():
    with pytest.raises(ValueError, match="at least one argument"):
        grad(lambda: 0.0)
    with pytest.raises(ValueError, match="scalar"):
        grad(lambda x: x * 2, np.ones(3))
