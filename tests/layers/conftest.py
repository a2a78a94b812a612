"""Fixtures shared by the seqlib layer tests; they run on the TensorFlow and JAX backends."""

import inspect

import keras
import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def randomize_weights(rng):
    """Sets every weight of a built layer to N(0, scale^2), so no term is trivially zero."""

    def randomize(layer, scale=0.5):
        layer.set_weights(
            [scale * rng.standard_normal(w.shape).astype("float32") for w in layer.get_weights()]
        )
        return layer

    return randomize


@pytest.fixture
def gradients():
    """`grads(layer, *inputs)`: NumPy gradients of `sum(layer(*inputs)[0] ** 2)` per weight."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        def grads(layer, *inputs):
            with tf.GradientTape() as tape:
                outputs = keras.tree.flatten(layer(*inputs, training=True))
                loss = tf.reduce_sum(outputs[0] ** 2)
            return [np.asarray(g) for g in tape.gradient(loss, layer.trainable_variables)]

    elif backend == "jax":
        import jax
        import jax.numpy as jnp

        def grads(layer, *inputs):
            non_trainable = [v.value for v in layer.non_trainable_variables]
            # Unlike `__call__`, `stateless_call` passes `training` on even if `call` lacks it.
            kwargs = (
                {"training": True} if "training" in inspect.signature(layer.call).parameters else {}
            )

            def loss(trainable):
                outputs, _ = layer.stateless_call(trainable, non_trainable, *inputs, **kwargs)
                return jnp.sum(keras.tree.flatten(outputs)[0] ** 2)

            trainable = [v.value for v in layer.trainable_variables]
            return [np.asarray(g) for g in jax.grad(loss)(trainable)]

    else:
        pytest.skip(f"no gradient helper for the {backend} backend")
    return grads
