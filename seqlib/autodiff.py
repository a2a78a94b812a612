"""Gradients of a scalar function on whichever Keras backend is active.

Keras 3 trains models on TensorFlow, JAX or PyTorch, but has no backend-neutral ``grad``. The
lessons need one to *look at* gradients (how far back they reach, how large they grow), so this
module dispatches to ``tf.GradientTape``, ``jax.grad`` or ``torch.autograd.grad``. Write ``fn``
with ``keras.ops`` and Keras layers (for a model's weights use ``model.stateless_call``) and it
works on all three.
"""

import keras
import numpy as np


def grad(fn, *args):
    """Returns the gradients of the scalar ``fn(*args)`` with respect to each argument.

    Args:
        fn: function of array arguments returning a scalar tensor.
        *args: the point at which to differentiate (NumPy arrays or tensors, floating point).

    Returns:
        A tuple of NumPy float arrays, one per argument, with the arguments' shapes.
    """
    if not args:
        raise ValueError("grad needs at least one argument to differentiate with respect to")
    args = [keras.ops.convert_to_tensor(np.asarray(keras.ops.convert_to_numpy(a), "float32"))
            for a in args]
    backend = keras.backend.backend()
    if backend == "tensorflow":
        gradients = _tensorflow_grad(fn, args)
    elif backend == "jax":
        import jax

        gradients = jax.grad(lambda *a: _scalar(fn(*a)), argnums=tuple(range(len(args))))(*args)
    elif backend == "torch":
        gradients = _torch_grad(fn, args)
    else:
        raise ValueError(f"grad supports the tensorflow, jax and torch backends, not {backend!r}")
    return tuple(keras.ops.convert_to_numpy(g) for g in gradients)


def _scalar(value):
    if tuple(value.shape) != ():
        raise ValueError(f"fn must return a scalar, got shape {tuple(value.shape)}")
    return value


def _tensorflow_grad(fn, args):
    import tensorflow as tf

    with tf.GradientTape() as tape:
        for a in args:
            tape.watch(a)
        value = _scalar(fn(*args))
    return tape.gradient(value, args, unconnected_gradients=tf.UnconnectedGradients.ZERO)


def _torch_grad(fn, args):
    import torch

    args = [a.detach().requires_grad_(True) for a in args]
    return torch.autograd.grad(_scalar(fn(*args)), args, allow_unused=True,
                               materialize_grads=True)
