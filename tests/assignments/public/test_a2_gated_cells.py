"""Public graded tests for assignment a2_gated_cells: LSTM and GRU cells written with keras.ops.

Students run these with the self-check; the hidden tests reuse the `check_*` functions on other
shapes, seeds and options. The student's cells live in the submission's sandboxed process: a
cell is a handle, `keras.layers.RNN` wraps it there (`submission.lib`), and only arrays come
back. Expected values come from the built-in `keras.layers.LSTM` / `keras.layers.GRU` holding the
same weights and from NumPy formulas, computed in this trusted process.
"""

import keras
import numpy as np
import pytest

from autograder.own_work import assert_own_work

RTOL, ATOL = 1e-5, 1e-6
BUILTIN_LAYERS = {"LSTMCell": keras.layers.LSTM, "GRUCell": keras.layers.GRU}
GATES = {"LSTMCell": 4, "GRUCell": 3}
WEIGHT_NAMES = ("kernel", "recurrent_kernel", "bias")
# keras and keras.ops only (every backend), and no built-in recurrent cell doing the work.
ALLOWED_MODULES = ("keras", "math")
FORBIDDEN = ("LSTMCell", "GRUCell", "SimpleRNNCell", "LSTM", "GRU", "RNN", "StackedRNNCells",
             "seqlib", "numpy", "np", "tensorflow", "tf", "torch", "jax")


def assert_own(graded_source, cell_name):
    assert_own_work(graded_source, cell_name, ALLOWED_MODULES, FORBIDDEN)


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
    """A returned tensor (an ndarray once it crossed over) after checking shape and dtype."""
    assert isinstance(value, np.ndarray), f"{name}: expected a tensor, got {type(value).__name__}"
    assert value.shape == tuple(shape), f"{name}: expected shape {tuple(shape)}, got {value.shape}"
    assert value.dtype == np.float32, f"{name}: expected dtype float32, got {value.dtype}"
    return value


def assert_close(name, actual, expected):
    actual = as_array(name, actual, expected.shape)
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL,
                               err_msg=f"{name}: differs from the Keras reference")


def random_problem(seed, sizes):
    """A generator and float32 inputs of sizes (batch, time, features, units)."""
    rng = np.random.default_rng(seed)
    batch, time, features, units = sizes
    return rng, rng.normal(size=(batch, time, features)).astype("float32"), units


def constant(value):
    """A Constant initializer as a config (data), which `keras.initializers.get` accepts."""
    return {"class_name": "Constant", "config": {"value": value}}


def rnn(submission, cell, **options):
    """`keras.layers.RNN(cell, **options)`, built in the submission's process around its cell."""
    return submission.lib("keras.layers.RNN")(cell, **options)


def built_cell(submission, cell_name, units, features, **kwargs):
    cell = getattr(submission, cell_name)(units, **kwargs)
    cell.build((None, features))
    names = submission.lib("operator.attrgetter")(*(f"{name}.name" for name in WEIGHT_NAMES))
    assert len(cell.weights) == 3 and list(names(cell)) == list(WEIGHT_NAMES), (
        f"{cell_name}.build should create exactly the weights {list(WEIGHT_NAMES)}, in that "
        "order, stored in attributes of the same names"
    )
    return cell


def matched_layers(submission, cell_name, rng, features, units):
    """A built-in layer here and RNN(your cell) there holding the same random weights."""
    builtin = BUILTIN_LAYERS[cell_name](units, return_sequences=True, return_state=True)
    builtin.build((None, None, features))
    weights = [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in builtin.weights]
    builtin.set_weights(weights)
    cell = built_cell(submission, cell_name, units, features)
    for name, value in zip(WEIGHT_NAMES, weights):
        shape = getattr(cell, name).shape
        assert shape == value.shape, (
            f"{cell_name}.{name}: expected shape {value.shape} like Keras, got {shape}"
        )
    cell.set_weights(weights)
    return builtin, rnn(submission, cell, return_sequences=True, return_state=True)


def assert_same_sequences(cell_name, ours, builtin, what):
    assert isinstance(ours, (list, tuple)) and len(ours) == len(builtin), (
        f"RNN({cell_name}) with return_state=True should return {len(builtin)} tensors "
        "(sequences, then one per state)"
    )
    labels = ["sequence output"] + [f"final state {i}" for i in range(len(builtin) - 1)]
    for label, actual, expected in zip(labels, ours, builtin):
        assert_close(f"{cell_name}, {what}: {label}", actual, keras.ops.convert_to_numpy(expected))


def check_layout(submission, graded_source, cell_name, seed, sizes, bias=0.25):
    assert_own(graded_source, cell_name)
    keras.utils.set_random_seed(seed)
    _, x, units = random_problem(seed, sizes)
    features, gates = x.shape[-1], GATES[cell_name]
    options = {} if bias is None else {"bias_initializer": constant(bias)}
    cell = built_cell(submission, cell_name, units, features, **options)
    state_size = cell.state_size
    if not isinstance(state_size, int):  # a list or tuple (a handle when Keras tracks it)
        state_size = list(state_size)
    expected_state_size = [units, units] if cell_name == "LSTMCell" else units
    assert state_size == expected_state_size, (
        f"{cell_name}.state_size: expected {expected_state_size}, got {state_size!r}")
    kernel = as_array("kernel", cell.kernel, (features, gates * units))
    limit = np.sqrt(6.0 / (features + gates * units))
    assert np.all(np.abs(kernel) <= limit) and np.any(kernel != 0), (
        "kernel should be initialized by kernel_initializer (glorot uniform by default)"
    )
    recurrent = as_array("recurrent_kernel", cell.recurrent_kernel, (units, gates * units))
    np.testing.assert_allclose(
        recurrent @ recurrent.T, np.eye(units), atol=1e-5,
        err_msg="recurrent_kernel should be initialized by recurrent_initializer (orthogonal)")
    value = 0.0 if bias is None else bias
    if cell_name == "LSTMCell":
        actual = as_array("bias", cell.bias, (4 * units,))
        expected = np.full(4 * units, value, "float32")
        expected[units : 2 * units] = 1.0
        hint = "bias_initializer everywhere except the forget gate slice, which starts at 1"
    else:
        actual = as_array("bias", cell.bias, (2, 3 * units))
        expected = np.full((2, 3 * units), value, "float32")
        hint = "bias_initializer for both rows"
    np.testing.assert_allclose(actual, expected, err_msg=f"initial bias should use {hint}")


def check_matches_keras(submission, graded_source, cell_name, seed, sizes, masked=False):
    assert_own(graded_source, cell_name)
    rng, x, units = random_problem(seed, sizes)
    batch, time, _ = x.shape
    mask = None
    if masked:
        lengths = rng.integers(1, time + 1, size=batch)
        lengths[0] = 1  # at least one sequence with a single real step
        mask = np.arange(time)[None, :] < lengths[:, None]
        x[~mask] = 0.0
    builtin, ours = matched_layers(submission, cell_name, rng, x.shape[-1], units)
    what = f"inputs of shape {x.shape}, {units} units" + (
        f", sequence lengths {mask.sum(axis=1).tolist()}" if masked else "")
    assert_same_sequences(cell_name, ours(x, mask=mask), builtin(x, mask=mask), what)


def check_single_step(submission, graded_source, cell_name, seed, sizes):
    assert_own(graded_source, cell_name)
    rng, x, units = random_problem(seed, sizes)
    cell = built_cell(submission, cell_name, units, x.shape[-1])
    weights = [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in cell.weights]
    cell.set_weights(weights)
    states = [rng.normal(size=(x.shape[0], units)).astype("float32")
              for _ in range(2 if cell_name == "LSTMCell" else 1)]
    result = cell(x[:, 0], states)
    expected_states = (list(reference_lstm_step(x[:, 0], *states, *weights))
                       if cell_name == "LSTMCell"
                       else [reference_gru_step(x[:, 0], *states, *weights)])
    state_names = "[h, c]" if cell_name == "LSTMCell" else "[h]"
    assert isinstance(result, (tuple, list)) and len(result) == 2, (
        f"{cell_name}.call should return (h, {state_names})")
    output, new_states = result
    assert isinstance(new_states, (list, tuple)) and len(new_states) == len(states), (
        f"{cell_name}.call should return the new states as a list {state_names}")
    what = f"{cell_name} step on inputs {x[:, 0].shape}, {units} units"
    assert_close(f"{what}: output", output, expected_states[0])
    for name, actual, expected in zip(("h", "c"), new_states, expected_states):
        assert_close(f"{what}: new {name}", actual, expected)


def check_config_round_trip(submission, graded_source, cell_name, seed, sizes, options):
    assert_own(graded_source, cell_name)
    _, x, units = random_problem(seed, sizes)
    cell_class = getattr(submission, cell_name)
    cell = cell_class(units, name="student_cell", **options)
    config = cell.get_config()
    assert isinstance(config, dict), f"get_config should return a dict, got {type(config).__name__}"
    clone = cell_class.from_config(config)
    assert clone.get_config() == config, (
        "from_config(get_config()) should rebuild an identical cell; the configs differ:\n"
        f"{config}\nvs\n{clone.get_config()}")
    for candidate in (cell, clone):
        candidate.build((None, x.shape[-1]))
    for name in WEIGHT_NAMES:
        original = getattr(cell, name)
        np.testing.assert_array_equal(
            as_array(f"rebuilt {name}", getattr(clone, name), original.shape), original,
            err_msg=f"the rebuilt cell initializes {name} differently: are all initializers "
            "in get_config?")
    # A whole layer serializes through the registered class and computes the same outputs.
    layer = rnn(submission, cell_class(units), return_sequences=True)
    expected = layer(x)
    serialized = submission.lib("keras.layers.serialize")(layer)
    restored = submission.lib("keras.layers.deserialize")(serialized)
    restored.build(x.shape)
    restored.set_weights(layer.get_weights())
    assert_close(f"RNN({cell_name}) after serialization", restored(x), expected)


def check_rejects_wrong_rank(submission, graded_source, cell_name, units, features, shape):
    check_single_step(submission, graded_source, cell_name, 0, (2, 1, features, units))
    states = [np.zeros((2, units), "float32")] * (2 if cell_name == "LSTMCell" else 1)
    with pytest.raises(ValueError):
        getattr(submission, cell_name)(units)(np.ones(shape, "float32"), states)
        pytest.fail(f"{cell_name} accepted inputs of shape {shape}; expected a ValueError")


def check_functional(submission, graded_source, cell_name, seed, sizes):
    """Symbolic tensors reject backend-specific and NumPy calls: this needs pure keras.ops."""
    assert_own(graded_source, cell_name)
    _, x, units = random_problem(seed, sizes)
    layer = rnn(submission, getattr(submission, cell_name)(units))
    inputs = submission.lib("keras.Input")(shape=x.shape[1:])
    model = submission.lib("keras.Model")(inputs, layer(inputs))
    assert_close(f"{cell_name} in a functional model", model.predict(x, verbose=0), layer(x))


CONFIG_OPTIONS = {
    "kernel_initializer": "ones",
    "recurrent_initializer": constant(0.5),
    "bias_initializer": constant(-0.25),
}


# LSTM -----------------------------------------------------------------------------------------


@pytest.mark.points(5)
def test_lstm_weights_follow_keras_layout(submission, graded_source):
    """LSTMCell: weights kernel, recurrent_kernel, bias with Keras' shapes and initializers."""
    check_layout(submission, graded_source, "LSTMCell", 1, (2, 3, 3, 4))


@pytest.mark.points(4)
@pytest.mark.parametrize("seed, sizes", [(2, (3, 5, 2, 4)), (3, (2, 4, 5, 3))])
def test_lstm_matches_keras_lstm(submission, graded_source, seed, sizes):
    """RNN(LSTMCell) equals keras.layers.LSTM with the same weights."""
    check_matches_keras(submission, graded_source, "LSTMCell", seed, sizes)


@pytest.mark.points(5)
def test_lstm_single_step_matches_equations(submission, graded_source):
    """LSTMCell.call: one step equals the LSTM equations."""
    check_single_step(submission, graded_source, "LSTMCell", 4, (3, 1, 4, 5))


@pytest.mark.points(5)
def test_lstm_masking_matches_keras(submission, graded_source):
    """RNN(LSTMCell) with a mask equals keras.layers.LSTM with the same mask."""
    check_matches_keras(submission, graded_source, "LSTMCell", 5, (4, 5, 3, 3), masked=True)


@pytest.mark.points(4)
def test_lstm_config_round_trip(submission, graded_source):
    """LSTMCell: get_config/from_config and keras serialization round trips."""
    check_config_round_trip(submission, graded_source, "LSTMCell", 6, (2, 3, 3, 2),
                            {**CONFIG_OPTIONS, "unit_forget_bias": False})


@pytest.mark.points(1)
@pytest.mark.parametrize("shape", [(2, 5, 4), (4,)])
def test_lstm_rejects_inputs_of_wrong_rank(submission, graded_source, shape):
    """LSTMCell raises ValueError for inputs that are not (batch, features)."""
    check_rejects_wrong_rank(submission, graded_source, "LSTMCell", 3, 4, shape)


@pytest.mark.points(1)
def test_lstm_uses_only_keras_ops(submission, graded_source):
    """LSTMCell works on symbolic tensors in a functional model (keras.ops only)."""
    check_functional(submission, graded_source, "LSTMCell", 7, (2, 4, 3, 3))


# GRU ------------------------------------------------------------------------------------------


@pytest.mark.points(5)
def test_gru_weights_follow_keras_layout(submission, graded_source):
    """GRUCell: weights kernel, recurrent_kernel, bias (2 rows) with Keras' shapes."""
    check_layout(submission, graded_source, "GRUCell", 11, (2, 3, 3, 4))


@pytest.mark.points(4)
@pytest.mark.parametrize("seed, sizes", [(12, (3, 5, 2, 4)), (13, (2, 4, 5, 3))])
def test_gru_matches_keras_gru(submission, graded_source, seed, sizes):
    """RNN(GRUCell) equals keras.layers.GRU with the same weights."""
    check_matches_keras(submission, graded_source, "GRUCell", seed, sizes)


@pytest.mark.points(5)
def test_gru_single_step_matches_equations(submission, graded_source):
    """GRUCell.call: one step equals the GRU equations (reset gate after the matmul)."""
    check_single_step(submission, graded_source, "GRUCell", 14, (3, 1, 4, 5))


@pytest.mark.points(5)
def test_gru_masking_matches_keras(submission, graded_source):
    """RNN(GRUCell) with a mask equals keras.layers.GRU with the same mask."""
    check_matches_keras(submission, graded_source, "GRUCell", 15, (4, 5, 3, 3), masked=True)


@pytest.mark.points(4)
def test_gru_config_round_trip(submission, graded_source):
    """GRUCell: get_config/from_config and keras serialization round trips."""
    check_config_round_trip(submission, graded_source, "GRUCell", 16, (2, 3, 3, 2),
                            CONFIG_OPTIONS)


@pytest.mark.points(1)
@pytest.mark.parametrize("shape", [(2, 5, 4), (4,)])
def test_gru_rejects_inputs_of_wrong_rank(submission, graded_source, shape):
    """GRUCell raises ValueError for inputs that are not (batch, features)."""
    check_rejects_wrong_rank(submission, graded_source, "GRUCell", 3, 4, shape)


@pytest.mark.points(1)
def test_gru_uses_only_keras_ops(submission, graded_source):
    """GRUCell works on symbolic tensors in a functional model (keras.ops only)."""
    check_functional(submission, graded_source, "GRUCell", 17, (2, 4, 3, 3))
