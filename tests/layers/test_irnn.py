"""IRNN: identity-initialised ReLU SimpleRNN (Le, Jaitly & Hinton 2015)."""

import keras
import numpy as np
import pytest

from seqlib.layers import IRNN

BATCH, TIME, FEATURES, UNITS = 3, 6, 5, 4


def irnn_reference(x, kernel, recurrent_kernel, bias):
    """h_t = relu(x_t W + h_{t-1} U + b) in float64; returns all h_t."""
    h = np.zeros((x.shape[0], recurrent_kernel.shape[0]))
    outputs = []
    for t in range(x.shape[1]):
        h = np.maximum(x[:, t].astype("float64") @ kernel + h @ recurrent_kernel + bias, 0.0)
        outputs.append(h)
    return np.stack(outputs, axis=1)


@pytest.fixture
def inputs(rng):
    return rng.standard_normal((BATCH, TIME, FEATURES)).astype("float32")


@pytest.mark.parametrize("gain", [1.0, 0.01])
def test_initialisation_is_scaled_identity_and_zero_bias(inputs, gain):
    layer = IRNN(UNITS, gain=gain)
    layer.build(inputs.shape)
    _, recurrent_kernel, bias = layer.get_weights()
    np.testing.assert_allclose(recurrent_kernel, gain * np.eye(UNITS), rtol=1e-6)
    np.testing.assert_array_equal(bias, 0.0)


def test_matches_numpy_reference(inputs, randomize_weights):
    layer = IRNN(UNITS, return_sequences=True)
    layer.build(inputs.shape)
    randomize_weights(layer)
    expected = irnn_reference(inputs, *layer.get_weights())
    np.testing.assert_allclose(np.asarray(layer(inputs)), expected, rtol=1e-5, atol=1e-6)


def test_equals_relu_simple_rnn_with_same_weights(inputs, randomize_weights):
    layer = IRNN(UNITS, return_sequences=True)
    layer.build(inputs.shape)
    randomize_weights(layer)
    simple = keras.layers.SimpleRNN(UNITS, activation="relu", return_sequences=True)
    simple.build(inputs.shape)
    simple.set_weights(layer.get_weights())
    np.testing.assert_allclose(np.asarray(layer(inputs)), np.asarray(simple(inputs)), rtol=1e-6)


def test_identity_recurrence_accumulates_positive_inputs():
    # With W = I, U = I and b = 0, h_T is the running sum of nonnegative inputs.
    layer = IRNN(2, kernel_initializer="identity")
    x = np.abs(np.arange(12, dtype="float32").reshape(2, 3, 2))
    np.testing.assert_allclose(np.asarray(layer(x)), x.sum(axis=1), rtol=1e-6)


def test_config_replaces_fixed_arguments_with_gain():
    config = IRNN(UNITS, gain=0.5).get_config()
    assert config["gain"] == 0.5
    assert not {"activation", "recurrent_initializer", "bias_initializer"} & set(config)
    assert IRNN.from_config(config).gain == 0.5


def test_rejects_arguments_that_irnn_fixes():
    with pytest.raises(ValueError, match="IRNN fixes activation"):
        IRNN(UNITS, activation="tanh")


@pytest.mark.parametrize("gain", [-0.5, "1", None, True, float("nan"), float("inf")])
def test_bad_gain_is_rejected(gain):
    with pytest.raises(ValueError, match="`gain` to be a finite number >= 0"):
        IRNN(UNITS, gain=gain)


@pytest.mark.parametrize("argument", ["dropout", "recurrent_dropout"])
@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, "0.1"])
def test_dropout_outside_unit_interval_is_rejected(argument, rate):
    with pytest.raises(ValueError, match=f"`{argument}` to be a number in \\[0, 1\\)"):
        IRNN(UNITS, **{argument: rate})
