"""PeepholeLSTM against a NumPy reference, keras.layers.LSTM and TF's legacy PeepholeLSTMCell."""

import keras
import numpy as np
import pytest

from seqlib.layers import PeepholeLSTM, PeepholeLSTMCell

BATCH, TIME, FEATURES, UNITS = 3, 6, 5, 4


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def peephole_reference(x, kernel, recurrent_kernel, bias, p_i, p_f, p_o):
    """Gers & Schmidhuber peephole LSTM in float64; returns (outputs, h_T, c_T)."""
    x = x.astype("float64")
    h = np.zeros((x.shape[0], recurrent_kernel.shape[0]))
    c = np.zeros_like(h)
    outputs = []
    for t in range(x.shape[1]):
        z = x[:, t] @ kernel + h @ recurrent_kernel + bias
        z_i, z_f, z_c, z_o = np.split(z, 4, axis=-1)
        i = sigmoid(z_i + p_i * c)
        f = sigmoid(z_f + p_f * c)
        c = f * c + i * np.tanh(z_c)
        o = sigmoid(z_o + p_o * c)
        h = o * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, axis=1), h, c


@pytest.fixture
def inputs(rng):
    return rng.standard_normal((BATCH, TIME, FEATURES)).astype("float32")


def test_matches_numpy_reference(inputs, randomize_weights):
    layer = PeepholeLSTM(UNITS, return_sequences=True, return_state=True)
    layer.build(inputs.shape)
    randomize_weights(layer)
    outputs, h, c = layer(inputs)
    expected = peephole_reference(inputs, *layer.get_weights())
    for actual, wanted in zip((outputs, h, c), expected):
        np.testing.assert_allclose(np.asarray(actual), wanted, rtol=1e-5, atol=1e-6)


def test_weight_layout_matches_lstm_cell(inputs):
    layer = PeepholeLSTM(UNITS)
    layer.build(inputs.shape)
    shapes = [tuple(w.shape) for w in layer.weights]
    assert shapes == [(FEATURES, 4 * UNITS), (UNITS, 4 * UNITS), (4 * UNITS,), *[(UNITS,)] * 3]
    bias = layer.get_weights()[2]
    np.testing.assert_array_equal(bias[UNITS : 2 * UNITS], 1.0)  # unit_forget_bias, gate f
    np.testing.assert_array_equal(np.delete(bias, np.s_[UNITS : 2 * UNITS]), 0.0)


def test_zero_peepholes_equal_keras_lstm(inputs, randomize_weights):
    layer = PeepholeLSTM(UNITS, return_sequences=True)
    layer.build(inputs.shape)
    randomize_weights(layer)
    kernel, recurrent_kernel, bias, *peepholes = layer.get_weights()
    layer.set_weights([kernel, recurrent_kernel, bias, *[np.zeros_like(p) for p in peepholes]])
    lstm = keras.layers.LSTM(UNITS, return_sequences=True)
    lstm.build(inputs.shape)
    lstm.set_weights([kernel, recurrent_kernel, bias])
    actual, expected = np.asarray(layer(inputs)), np.asarray(lstm(inputs))
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


def test_zero_peephole_gradients_equal_keras_lstm(inputs, randomize_weights, gradients):
    layer = PeepholeLSTM(UNITS)
    layer.build(inputs.shape)
    randomize_weights(layer)
    kernel, recurrent_kernel, bias, *peepholes = layer.get_weights()
    layer.set_weights([kernel, recurrent_kernel, bias, *[np.zeros_like(p) for p in peepholes]])
    lstm = keras.layers.LSTM(UNITS)
    lstm.build(inputs.shape)
    lstm.set_weights([kernel, recurrent_kernel, bias])
    ours = gradients(layer, inputs)
    assert all(np.isfinite(g).all() for g in ours)
    assert all(np.abs(g).sum() > 0 for g in ours)  # the peepholes get a gradient too
    for actual, wanted in zip(ours[:3], gradients(lstm, inputs)):
        np.testing.assert_allclose(actual, wanted, rtol=1e-4, atol=1e-6)


def test_matches_legacy_tensorflow_peephole_cell(inputs, randomize_weights):
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the legacy PeepholeLSTMCell is a TensorFlow-only reference")
    legacy = pytest.importorskip("tensorflow.python.keras.layers.recurrent")
    if not hasattr(legacy, "PeepholeLSTMCell"):
        pytest.skip("this TensorFlow no longer ships the legacy PeepholeLSTMCell")
    layer = PeepholeLSTM(UNITS, return_sequences=True)
    layer.build(inputs.shape)
    randomize_weights(layer)
    with pytest.warns(UserWarning, match="deprecated"):
        cell = legacy.PeepholeLSTMCell(UNITS, recurrent_activation="sigmoid")
    reference = legacy.RNN(cell, return_sequences=True)
    reference(inputs)  # builds it
    # Same order: kernel, recurrent kernel, bias, then the input, forget and output peepholes.
    reference.set_weights(layer.get_weights())
    np.testing.assert_allclose(
        np.asarray(layer(inputs)), reference(inputs).numpy(), rtol=1e-5, atol=1e-6
    )


def test_cell_in_generic_rnn_equals_layer(inputs, randomize_weights):
    # The layer hoists x_t W + b out of the loop; the cell projects step by step.
    layer = PeepholeLSTM(UNITS, return_sequences=True)
    layer.build(inputs.shape)
    randomize_weights(layer)
    generic = keras.layers.RNN(PeepholeLSTMCell(UNITS), return_sequences=True)
    generic.build(inputs.shape)
    generic.set_weights(layer.get_weights())
    np.testing.assert_allclose(np.asarray(generic(inputs)), np.asarray(layer(inputs)), rtol=1e-5)
