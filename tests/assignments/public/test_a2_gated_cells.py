"""Graded tests for assignment a2_gated_cells: LSTM and GRU cells written with keras.ops.

The cells are checked against `keras.layers.LSTM` / `keras.layers.GRU` given identical random
weights, against NumPy formulas for a single step, with masks, through serialization and inside
a symbolic functional model (which fails on anything but backend-agnostic `keras.ops`).
"""

import dis
import types

import keras
import numpy as np
import pytest

RTOL, ATOL = 1e-5, 1e-6
BUILTIN_LAYERS = {"LSTMCell": keras.layers.LSTM, "GRUCell": keras.layers.GRU}
GATES = {"LSTMCell": 4, "GRUCell": 3}
WEIGHT_NAMES = ("kernel", "recurrent_kernel", "bias")
BACKEND_MODULES = {"tensorflow", "torch", "jax"}


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def reference_lstm_step(x, h, c, kernel, recurrent_kernel, bias):
    z_i, z_f, z_g, z_o = np.split(x @ kernel + h @ recurrent_kernel + bias, 4, axis=-1)
    c = sigmoid(z_f) * c + sigmoid(z_i) * np.tanh(z_g)
    return sigmoid(z_o) * np.tanh(c), c


def reference_gru_step(x, h, kernel, recurrent_kernel, bias):
    x_z, x_r, x_h = np.split(x @ kernel + bias[0], 3, axis=-1)
    u_z, u_r, u_h = np.split(h @ recurrent_kernel + bias[1], 3, axis=-1)
    z, r = sigmoid(x_z + u_z), sigmoid(x_r + u_r)
    return z * h + (1.0 - z) * np.tanh(x_h + r * u_h)


def as_array(name, value, shape):
    """Backend tensor -> ndarray after checking type, shape and dtype."""
    if isinstance(value, keras.Variable):
        value = value.numpy()
    assert keras.ops.is_tensor(value) or isinstance(value, np.ndarray), (
        f"{name}: expected a tensor, got {type(value).__name__}"
    )
    array = keras.ops.convert_to_numpy(value)
    assert array.shape == tuple(shape), f"{name}: expected shape {tuple(shape)}, got {array.shape}"
    assert array.dtype == np.float32, f"{name}: expected dtype float32, got {array.dtype}"
    return array


def assert_close(name, actual, expected):
    actual = as_array(name, actual, expected.shape)
    np.testing.assert_allclose(
        actual, expected, rtol=RTOL, atol=ATOL,
        err_msg=f"{name}: your cell differs from the Keras reference with the same weights",
    )


def random_problem(seed):
    rng = np.random.default_rng(seed)
    batch, time, features, units = (int(v) for v in rng.integers(2, 6, size=4))
    x = rng.normal(size=(batch, time, features)).astype("float32")
    return rng, x, units


def built_cell(submission, cell_name, units, features, **kwargs):
    cell = getattr(submission, cell_name)(units, **kwargs)
    cell.build((None, features))
    for name in WEIGHT_NAMES:
        assert hasattr(cell, name), f"{cell_name} has no attribute {name!r} after build"
    return cell


def matched_layers(submission, cell_name, rng, features, units):
    """A built-in layer and keras.layers.RNN(your cell) holding the same random weights."""
    builtin = BUILTIN_LAYERS[cell_name](units, return_sequences=True, return_state=True)
    builtin.build((None, None, features))
    cell = built_cell(submission, cell_name, units, features)
    ours = keras.layers.RNN(cell, return_sequences=True, return_state=True)
    weights = [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in builtin.weights]
    builtin.set_weights(weights)
    for name, value in zip(WEIGHT_NAMES, weights):
        variable = getattr(cell, name)
        assert tuple(variable.shape) == value.shape, (
            f"{cell_name}.{name}: expected shape {value.shape} like Keras, got {variable.shape}"
        )
        variable.assign(value)
    return builtin, ours


def assert_same_sequences(cell_name, ours, builtin):
    assert isinstance(ours, (list, tuple)) and len(ours) == len(builtin), (
        f"RNN({cell_name}) with return_state=True should return {len(builtin)} tensors "
        "(sequences, then one per state)"
    )
    labels = ["sequence output"] + [f"final state {i}" for i in range(len(builtin) - 1)]
    for label, actual, expected in zip(labels, ours, builtin):
        assert_close(f"{cell_name}: {label}", actual, keras.ops.convert_to_numpy(expected))


# Tests shared by both cells --------------------------------------------------------------------


def check_layout(submission, cell_name, seed):
    keras.utils.set_random_seed(seed)
    _, x, units = random_problem(seed)
    features, gates = x.shape[-1], GATES[cell_name]
    bias_init = keras.initializers.Constant(0.25)
    cell = built_cell(submission, cell_name, units, features, bias_initializer=bias_init)

    state_size = cell.state_size
    expected_state_size = [units, units] if cell_name == "LSTMCell" else units
    if isinstance(state_size, tuple):
        state_size = list(state_size)
    assert state_size == expected_state_size, (
        f"{cell_name}.state_size: expected {expected_state_size}, got {cell.state_size!r}"
    )
    names = [w.name for w in cell.weights]
    assert names == list(WEIGHT_NAMES), (
        f"{cell_name} should create exactly the weights {list(WEIGHT_NAMES)} in that order, "
        f"got {names}"
    )
    kernel = as_array("kernel", cell.kernel, (features, gates * units))
    limit = np.sqrt(6.0 / (features + gates * units))
    assert np.all(np.abs(kernel) <= limit) and np.any(kernel != 0), (
        "kernel should be initialized by kernel_initializer (glorot uniform by default)"
    )
    recurrent = as_array("recurrent_kernel", cell.recurrent_kernel, (units, gates * units))
    np.testing.assert_allclose(
        recurrent @ recurrent.T, np.eye(units), atol=1e-5,
        err_msg="recurrent_kernel should be initialized by recurrent_initializer (orthogonal)",
    )
    if cell_name == "LSTMCell":
        bias = as_array("bias", cell.bias, (4 * units,))
        expected_bias = np.full(4 * units, 0.25, "float32")
        expected_bias[units : 2 * units] = 1.0
        hint = "bias_initializer everywhere except the forget gate slice, which starts at 1"
    else:
        bias = as_array("bias", cell.bias, (2, 3 * units))
        expected_bias = np.full((2, 3 * units), 0.25, "float32")
        hint = "bias_initializer for both rows"
    np.testing.assert_allclose(bias, expected_bias, err_msg=f"initial bias should use {hint}")


def check_matches_keras(submission, cell_name, seed):
    rng, x, units = random_problem(seed)
    builtin, ours = matched_layers(submission, cell_name, rng, x.shape[-1], units)
    assert_same_sequences(cell_name, ours(x), builtin(x))


def check_masking(submission, cell_name, seed):
    rng, x, units = random_problem(seed)
    batch, time, _ = x.shape
    lengths = rng.integers(1, time + 1, size=batch)
    lengths[0] = 1  # at least one sequence with a single real step
    mask = np.arange(time)[None, :] < lengths[:, None]
    x[~mask] = 0.0
    builtin, ours = matched_layers(submission, cell_name, rng, x.shape[-1], units)
    assert_same_sequences(cell_name, ours(x, mask=mask), builtin(x, mask=mask))


def check_config_round_trip(submission, cell_name, seed):
    rng, x, units = random_problem(seed)
    options = {
        "kernel_initializer": "ones",
        "recurrent_initializer": keras.initializers.Constant(0.5),
        "bias_initializer": keras.initializers.Constant(-0.25),
        "name": "student_cell",
    }
    if cell_name == "LSTMCell":
        options["unit_forget_bias"] = False
    cell = getattr(submission, cell_name)(units, **options)
    config = cell.get_config()
    assert isinstance(config, dict), f"get_config should return a dict, got {type(config).__name__}"
    clone = type(cell).from_config(config)
    assert clone.get_config() == config, (
        "from_config(get_config()) should rebuild an identical cell; the configs differ:\n"
        f"{config}\nvs\n{clone.get_config()}"
    )
    for candidate in (cell, clone):
        candidate.build((None, x.shape[-1]))
    for name in WEIGHT_NAMES:
        weight_shape = tuple(getattr(cell, name).shape)
        np.testing.assert_array_equal(
            as_array(f"rebuilt {name}", getattr(clone, name), weight_shape),
            as_array(name, getattr(cell, name), weight_shape),
            err_msg=f"the rebuilt cell initializes {name} differently: are all initializers "
            "in get_config?",
        )
    # A whole layer serializes through the registered class and computes the same outputs.
    layer = keras.layers.RNN(getattr(submission, cell_name)(units), return_sequences=True)
    expected = keras.ops.convert_to_numpy(layer(x))
    restored = keras.layers.deserialize(keras.layers.serialize(layer))
    restored.build(x.shape)
    restored.set_weights(layer.get_weights())
    assert_close(f"RNN({cell_name}) after serialization", restored(x), expected)


def check_rejects_wrong_rank(submission, cell_name, units=3, features=4):
    cell_class = getattr(submission, cell_name)
    states = [np.zeros((2, units), "float32")] * (2 if cell_name == "LSTMCell" else 1)
    output, _ = cell_class(units)(np.ones((2, features), "float32"), states)
    as_array(f"{cell_name} output", output, (2, units))
    for shape in ((2, 5, features), (features,)):
        with pytest.raises(ValueError):
            cell_class(units)(np.ones(shape, "float32"), states)
            pytest.fail(f"{cell_name} accepted inputs of shape {shape}; expected a ValueError")


def imported_modules(code):
    """Modules imported by a code object and the functions nested in it."""
    names = {ins.argval for ins in dis.get_instructions(code) if ins.opname == "IMPORT_NAME"}
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= imported_modules(constant)
    return names


def backend_imports(cls):
    """Backend modules imported inside the methods of a class (method-local imports)."""
    names = set()
    for attribute in vars(cls).values():
        function = getattr(attribute, "__func__", attribute)
        if isinstance(function, types.FunctionType):
            names |= imported_modules(function.__code__)
    return {name for name in names if name.split(".")[0] in BACKEND_MODULES}


def check_backend_agnostic(submission, cell_name, seed):
    leaked = {
        value.__name__
        for value in vars(submission).values()
        if isinstance(value, types.ModuleType) and value.__name__.split(".")[0] in BACKEND_MODULES
    }
    leaked |= backend_imports(getattr(submission, cell_name))
    assert not leaked, (
        f"graded cells must use keras.ops only, found backend modules: {sorted(leaked)}"
    )
    _, x, units = random_problem(seed)
    layer = keras.layers.RNN(getattr(submission, cell_name)(units))
    inputs = keras.Input(shape=x.shape[1:])
    # Symbolic tensors reject backend-specific and NumPy calls, so this needs pure keras.ops.
    model = keras.Model(inputs, layer(inputs))
    assert_close(
        f"{cell_name} in a functional model", model.predict(x, verbose=0),
        keras.ops.convert_to_numpy(layer(x)),
    )


# LSTM -----------------------------------------------------------------------------------------


@pytest.mark.points(8)
def test_lstm_weights_follow_keras_layout(submission):
    check_layout(submission, "LSTMCell", seed=1)


@pytest.mark.parametrize("seed", [2, 3])
@pytest.mark.points(8)
def test_lstm_matches_keras_lstm(submission, seed):
    check_matches_keras(submission, "LSTMCell", seed)


@pytest.mark.points(6)
def test_lstm_single_step_matches_equations(submission):
    rng, x, units = random_problem(4)
    cell = built_cell(submission, "LSTMCell", units, x.shape[-1])
    weights = [rng.normal(scale=0.5, size=v.shape).astype("float32") for v in cell.weights]
    for variable, value in zip(cell.weights, weights):
        variable.assign(value)
    h, c = (rng.normal(size=(x.shape[0], units)).astype("float32") for _ in range(2))
    result = cell(x[:, 0], [h, c])
    assert isinstance(result, (tuple, list)) and len(result) == 2, (
        "LSTMCell.call should return (h, [h, c])"
    )
    output, states = result
    assert isinstance(states, (list, tuple)) and len(states) == 2, (
        "LSTMCell.call should return the new states as a list [h, c]"
    )
    expected_h, expected_c = reference_lstm_step(x[:, 0], h, c, *weights)
    for name, actual, expected in (
        ("output", output, expected_h), ("new h", states[0], expected_h),
        ("new c", states[1], expected_c),
    ):
        assert_close(f"LSTMCell {name}", actual, expected)


@pytest.mark.points(7)
def test_lstm_masking_matches_keras(submission):
    check_masking(submission, "LSTMCell", seed=5)


@pytest.mark.points(6)
def test_lstm_config_round_trip(submission):
    check_config_round_trip(submission, "LSTMCell", seed=6)


@pytest.mark.points(4)
def test_lstm_rejects_inputs_of_wrong_rank(submission):
    check_rejects_wrong_rank(submission, "LSTMCell")


@pytest.mark.points(3)
def test_lstm_uses_only_keras_ops(submission):
    check_backend_agnostic(submission, "LSTMCell", seed=7)


# GRU ------------------------------------------------------------------------------------------


@pytest.mark.points(8)
def test_gru_weights_follow_keras_layout(submission):
    check_layout(submission, "GRUCell", seed=11)


@pytest.mark.parametrize("seed", [12, 13])
@pytest.mark.points(8)
def test_gru_matches_keras_gru(submission, seed):
    check_matches_keras(submission, "GRUCell", seed)


@pytest.mark.points(6)
def test_gru_single_step_matches_equations(submission):
    rng, x, units = random_problem(14)
    cell = built_cell(submission, "GRUCell", units, x.shape[-1])
    weights = [rng.normal(scale=0.5, size=v.shape).astype("float32") for v in cell.weights]
    for variable, value in zip(cell.weights, weights):
        variable.assign(value)
    h = rng.normal(size=(x.shape[0], units)).astype("float32")
    result = cell(x[:, 0], [h])
    assert isinstance(result, (tuple, list)) and len(result) == 2, (
        "GRUCell.call should return (h, [h])"
    )
    output, states = result
    assert isinstance(states, (list, tuple)) and len(states) == 1, (
        "GRUCell.call should return the new state as a one-element list [h]"
    )
    expected = reference_gru_step(x[:, 0], h, *weights)
    assert_close("GRUCell output", output, expected)
    assert_close("GRUCell new h", states[0], expected)


@pytest.mark.points(7)
def test_gru_masking_matches_keras(submission):
    check_masking(submission, "GRUCell", seed=15)


@pytest.mark.points(6)
def test_gru_config_round_trip(submission):
    check_config_round_trip(submission, "GRUCell", seed=16)


@pytest.mark.points(4)
def test_gru_rejects_inputs_of_wrong_rank(submission):
    check_rejects_wrong_rank(submission, "GRUCell")


@pytest.mark.points(3)
def test_gru_uses_only_keras_ops(submission):
    check_backend_agnostic(submission, "GRUCell", seed=17)
