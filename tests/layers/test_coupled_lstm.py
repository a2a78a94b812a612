"""CoupledLSTM (CIFG, i_t = 1 - f_t) against a NumPy reference."""

import keras
import numpy as np
import pytest

from seqlib.layers import CoupledLSTM, CoupledLSTMCell

BATCH, TIME, FEATURES, UNITS = 3, 6, 5, 4


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def coupled_reference(x, kernel, recurrent_kernel, bias, p_f=0.0, p_o=0.0):
    """CIFG LSTM (Greff et al. 2017) in float64; returns (outputs, h_T, c_T)."""
    x = x.astype("float64")
    h = np.zeros((x.shape[0], recurrent_kernel.shape[0]))
    c = np.zeros_like(h)
    outputs = []
    for t in range(x.shape[1]):
        z = x[:, t] @ kernel + h @ recurrent_kernel + bias
        z_f, z_c, z_o = np.split(z, 3, axis=-1)
        f = sigmoid(z_f + p_f * c)
        i = 1.0 - f
        c = f * c + i * np.tanh(z_c)
        o = sigmoid(z_o + p_o * c)
        h = o * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, axis=1), h, c


@pytest.fixture
def inputs(rng):
    return rng.standard_normal((BATCH, TIME, FEATURES)).astype("float32")


@pytest.mark.parametrize("use_peepholes", [False, True])
def test_matches_numpy_reference(inputs, randomize_weights, use_peepholes):
    layer = CoupledLSTM(
        UNITS, use_peepholes=use_peepholes, return_sequences=True, return_state=True
    )
    layer.build(inputs.shape)
    randomize_weights(layer)
    outputs, h, c = layer(inputs)
    expected = coupled_reference(inputs, *layer.get_weights())
    for actual, wanted in zip((outputs, h, c), expected):
        np.testing.assert_allclose(np.asarray(actual), wanted, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("use_peepholes", [False, True])
def test_weight_layout_has_three_gates(inputs, use_peepholes):
    layer = CoupledLSTM(UNITS, use_peepholes=use_peepholes)
    layer.build(inputs.shape)
    shapes = [tuple(w.shape) for w in layer.weights]
    peepholes = [(UNITS,)] * 2 if use_peepholes else []
    assert shapes == [(FEATURES, 3 * UNITS), (UNITS, 3 * UNITS), (3 * UNITS,), *peepholes]
    bias = layer.get_weights()[2]
    np.testing.assert_array_equal(bias[:UNITS], 1.0)  # unit_forget_bias: f is the first gate
    np.testing.assert_array_equal(bias[UNITS:], 0.0)


def test_unit_forget_bias_off_gives_zero_bias(inputs):
    layer = CoupledLSTM(UNITS, unit_forget_bias=False)
    layer.build(inputs.shape)
    np.testing.assert_array_equal(layer.get_weights()[2], 0.0)


def test_saturated_forget_gate_freezes_the_cell(inputs, randomize_weights):
    # With f_t = 1 the coupled input gate is 0: c stays at c_0, whatever the input.
    layer = CoupledLSTM(UNITS, return_state=True)
    layer.build(inputs.shape)
    randomize_weights(layer)
    kernel, recurrent_kernel, bias = layer.get_weights()
    bias[:UNITS] = 100.0
    layer.set_weights([kernel, recurrent_kernel, bias])
    c_0 = np.full((BATCH, UNITS), 0.3, "float32")
    _, _, c_T = layer(inputs, initial_state=[np.zeros_like(c_0), c_0])
    np.testing.assert_allclose(np.asarray(c_T), c_0, rtol=1e-6)


def test_cell_in_generic_rnn_equals_layer(inputs, randomize_weights):
    layer = CoupledLSTM(UNITS, use_peepholes=True, return_sequences=True)
    layer.build(inputs.shape)
    randomize_weights(layer)
    generic = keras.layers.RNN(CoupledLSTMCell(UNITS, use_peepholes=True), return_sequences=True)
    generic.build(inputs.shape)
    generic.set_weights(layer.get_weights())
    np.testing.assert_allclose(np.asarray(generic(inputs)), np.asarray(layer(inputs)), rtol=1e-5)
