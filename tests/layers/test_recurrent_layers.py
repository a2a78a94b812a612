"""Behaviour every seqlib recurrent layer shares with keras.layers.LSTM.

Masking, go_backwards, stateful, Bidirectional, mixed precision, serialization, dropout,
gradients and input validation, for each layer in LAYERS.
"""

import keras
import numpy as np
import pytest

from seqlib.layers import IRNN, CoupledLSTM, PeepholeLSTM

BATCH, TIME, FEATURES, UNITS = 3, 6, 5, 4

LAYERS = {
    "peephole": PeepholeLSTM,
    "coupled": CoupledLSTM,
    "coupled_peepholes": lambda units, **kwargs: CoupledLSTM(units, use_peepholes=True, **kwargs),
    "irnn": IRNN,
}


@pytest.fixture(params=list(LAYERS))
def make_layer(request):
    return LAYERS[request.param]


@pytest.fixture
def inputs(rng):
    return rng.standard_normal((BATCH, TIME, FEATURES)).astype("float32")


def built(layer, randomize_weights, shape=(BATCH, TIME, FEATURES)):
    layer.build(shape)
    # Small weights keep IRNN's ReLU recurrence from blowing up over the test sequences.
    return randomize_weights(layer, scale=0.3)


def test_padded_sequences_equal_truncated_ones(make_layer, inputs, randomize_weights):
    layer = built(make_layer(UNITS, return_state=True), randomize_weights)
    lengths = [TIME, 4, 2]
    mask = np.arange(TIME)[None, :] < np.array(lengths)[:, None]
    padded = np.where(mask[..., None], inputs, 99.0).astype("float32")  # junk in the padding
    outputs = layer(padded, mask=mask)
    for row, length in enumerate(lengths):
        truncated = layer(inputs[row : row + 1, :length])
        for masked, direct in zip(outputs, truncated):
            np.testing.assert_allclose(
                np.asarray(masked)[row], np.asarray(direct)[0], rtol=1e-5, atol=1e-6
            )


def test_masking_layer_mask_is_honoured(make_layer, inputs, randomize_weights):
    layer = built(make_layer(UNITS), randomize_weights)
    padded = inputs.copy()
    padded[0, 3:] = 0.0
    model = keras.Sequential([keras.Input((TIME, FEATURES)), keras.layers.Masking(0.0), layer])
    np.testing.assert_allclose(
        model.predict(padded, verbose=0)[0], np.asarray(layer(inputs[:1, :3]))[0], rtol=1e-5
    )


def test_go_backwards_equals_reversed_input(make_layer, inputs, randomize_weights):
    forward = built(make_layer(UNITS, return_sequences=True), randomize_weights)
    backward = make_layer(UNITS, return_sequences=True, go_backwards=True)
    backward.build(inputs.shape)
    backward.set_weights(forward.get_weights())
    np.testing.assert_allclose(
        np.asarray(backward(inputs)), np.asarray(forward(inputs[:, ::-1])), rtol=1e-5
    )


def test_stateful_carries_state_across_batches(make_layer, inputs, randomize_weights):
    whole = built(make_layer(UNITS), randomize_weights)
    stateful = make_layer(UNITS, stateful=True)
    stateful.build(inputs.shape)
    stateful.set_weights(whole.get_weights())
    stateful(inputs[:, :2])
    np.testing.assert_allclose(
        np.asarray(stateful(inputs[:, 2:])), np.asarray(whole(inputs)), rtol=1e-5, atol=1e-6
    )
    stateful.reset_state()
    np.testing.assert_allclose(
        np.asarray(stateful(inputs[:, 2:])), np.asarray(whole(inputs[:, 2:])), rtol=1e-5
    )


def test_bidirectional_runs_both_directions(make_layer, inputs, randomize_weights):
    bidirectional = keras.layers.Bidirectional(make_layer(UNITS, return_sequences=True))
    bidirectional.build(inputs.shape)
    randomize_weights(bidirectional, scale=0.3)
    outputs = np.asarray(bidirectional(inputs))
    assert outputs.shape == (BATCH, TIME, 2 * UNITS)
    forward, backward = bidirectional.forward_layer, bidirectional.backward_layer
    assert type(backward) is type(forward) and backward.go_backwards
    np.testing.assert_allclose(outputs[..., :UNITS], np.asarray(forward(inputs)), rtol=1e-5)
    np.testing.assert_allclose(
        outputs[..., UNITS:], np.asarray(backward(inputs))[:, ::-1], rtol=1e-5
    )


def test_mixed_precision_outputs_float16_with_float32_variables(
    make_layer, inputs, randomize_weights
):
    full = built(make_layer(UNITS, return_state=True), randomize_weights)
    mixed = make_layer(UNITS, return_state=True, dtype="mixed_float16")
    mixed.build(inputs.shape)
    mixed.set_weights(full.get_weights())
    outputs = mixed(inputs)
    assert all(keras.backend.standardize_dtype(o.dtype) == "float16" for o in outputs)
    assert all(keras.backend.standardize_dtype(w.dtype) == "float32" for w in mixed.weights)
    for half, single in zip(outputs, full(inputs)):
        np.testing.assert_allclose(
            np.asarray(half, "float32"), np.asarray(single), rtol=2e-2, atol=2e-2
        )


def test_save_and_load_without_custom_objects(make_layer, inputs, randomize_weights, tmp_path):
    layer = make_layer(UNITS, return_sequences=True, recurrent_dropout=0.1)
    built(layer, randomize_weights)
    model = keras.Sequential([keras.Input((TIME, FEATURES)), layer, keras.layers.Dense(2)])
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.layers[0]) is type(layer)
    assert loaded.layers[0].get_config() == layer.get_config()
    np.testing.assert_allclose(
        loaded.predict(inputs, verbose=0), model.predict(inputs, verbose=0), rtol=1e-6
    )


def test_dropout_is_active_only_in_training(make_layer, inputs, randomize_weights):
    layer = built(make_layer(UNITS, dropout=0.5, recurrent_dropout=0.5, seed=1), randomize_weights)
    plain = make_layer(UNITS)
    plain.build(inputs.shape)
    plain.set_weights(layer.get_weights())
    np.testing.assert_allclose(
        np.asarray(layer(inputs, training=False)), np.asarray(plain(inputs)), rtol=1e-6
    )
    training = np.asarray(layer(inputs, training=True))
    assert np.isfinite(training).all()
    assert not np.allclose(training, np.asarray(plain(inputs)))


def test_gradients_are_finite_and_reach_every_weight(
    make_layer, inputs, randomize_weights, gradients
):
    layer = built(make_layer(UNITS), randomize_weights)
    grads = gradients(layer, inputs)
    assert len(grads) == len(layer.trainable_weights)
    assert all(np.isfinite(g).all() and np.abs(g).sum() > 0 for g in grads)


def test_initial_state_is_used(make_layer, inputs, randomize_weights):
    layer = built(make_layer(UNITS), randomize_weights)
    states = [np.full((BATCH, UNITS), 0.5, "float32") for _ in layer.state_size]
    from_states = np.asarray(layer(inputs, initial_state=states))
    assert not np.allclose(from_states, np.asarray(layer(inputs)))


@pytest.mark.parametrize("shape", [(BATCH, FEATURES), (BATCH, TIME, FEATURES, 1)])
def test_wrong_rank_raises_clear_error(make_layer, shape):
    with pytest.raises(ValueError, match=r"expected input of rank 3 \(batch, time, features\)"):
        make_layer(UNITS)(np.zeros(shape, "float32"))


def test_wrong_feature_count_raises_clear_error(make_layer, inputs):
    layer = make_layer(UNITS)
    layer(inputs)
    with pytest.raises(ValueError, match=f"expected input features .* of {FEATURES}, got 7"):
        layer(np.zeros((BATCH, TIME, 7), "float32"))


@pytest.mark.parametrize("units", [0, -3, 2.5, True, "4"])
def test_invalid_units_are_rejected(make_layer, units):
    with pytest.raises(ValueError, match="`units` to be a positive integer"):
        make_layer(units)


@pytest.mark.parametrize("units", [np.int64(UNITS), np.int32(UNITS)])
def test_numpy_integer_units_are_accepted(make_layer, units, inputs):
    layer = make_layer(units)
    assert layer.units == UNITS and type(layer.units) is int
    assert layer(inputs).shape == (BATCH, UNITS)


@pytest.mark.parametrize(
    "mask_shape", [(BATCH, TIME + 1), (BATCH + 1, TIME), (BATCH, TIME, 1), (TIME,)]
)
def test_mask_of_the_wrong_shape_is_rejected(make_layer, inputs, mask_shape):
    layer = make_layer(UNITS)
    with pytest.raises(ValueError, match=r"mask of shape \(batch, time\) .* got shape"):
        layer(inputs, mask=np.ones(mask_shape, bool))


def test_initial_state_of_the_wrong_width_is_rejected(make_layer, inputs):
    layer = make_layer(UNITS)
    states = [np.zeros((BATCH, UNITS), "float32") for _ in layer.state_size]
    states[-1] = np.zeros((BATCH, UNITS + 1), "float32")
    index = len(states) - 1
    with pytest.raises(ValueError, match=rf"initial_state\[{index}\] of shape \(batch, {UNITS}\)"):
        layer(inputs, initial_state=states)


def test_initial_state_of_the_wrong_batch_is_rejected(make_layer, inputs):
    layer = make_layer(UNITS)
    states = [np.zeros((BATCH + 1, UNITS), "float32") for _ in layer.state_size]
    with pytest.raises(ValueError, match=r"initial_state\[0\] .* got shape"):
        layer(inputs, initial_state=states)


def test_wrong_number_of_initial_states_is_rejected(make_layer, inputs):
    layer = make_layer(UNITS)
    states = [np.zeros((BATCH, UNITS), "float32")] * (len(layer.state_size) + 1)
    with pytest.raises(ValueError, match=f"list of {len(layer.state_size)} tensor"):
        layer(inputs, initial_state=states)


@pytest.mark.parametrize("argument", ["dropout", "recurrent_dropout"])
@pytest.mark.parametrize("rate", [-0.1, 1.0, "0.1"])
def test_dropout_outside_unit_interval_is_rejected(make_layer, argument, rate):
    with pytest.raises(ValueError, match=f"`{argument}` to be a number in \\[0, 1\\)"):
        make_layer(UNITS, **{argument: rate})
