"""BahdanauAttention against a NumPy reference, with explicit and Keras-propagated masks."""

import keras
import numpy as np
import pytest

from seqlib.layers import BahdanauAttention

BATCH, QUERY_TIME, VALUE_TIME, QUERY_DIM, VALUE_DIM, UNITS = 2, 3, 5, 4, 6, 7
LENGTHS = np.array([3, 5])  # real (unmasked) values per batch item


def bahdanau_reference(layer, query, values, mask):
    """e_ij = v^T tanh(W q_i + U h_j), masked softmax over j, c_i = sum_j a_ij h_j."""
    w = np.asarray(layer.query_projection.kernel, "float64")
    u = np.asarray(layer.key_projection.kernel, "float64")
    v = np.asarray(layer.score_projection.kernel, "float64")[:, 0]
    single = query.ndim == 2
    q = query[:, None] if single else query
    scores = np.tanh((q @ w)[:, :, None, :] + (values @ u)[:, None, :, :]) @ v
    scores = np.where(mask[:, None, :], scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    context = weights @ values
    return (context[:, 0], weights[:, 0]) if single else (context, weights)


@pytest.fixture
def values(rng):
    return rng.standard_normal((BATCH, VALUE_TIME, VALUE_DIM)).astype("float32")


@pytest.fixture
def values_mask():
    return np.arange(VALUE_TIME)[None, :] < LENGTHS[:, None]


@pytest.mark.parametrize("query_shape", [(BATCH, QUERY_DIM), (BATCH, QUERY_TIME, QUERY_DIM)])
def test_matches_numpy_reference(rng, values, values_mask, query_shape):
    query = rng.standard_normal(query_shape).astype("float32")
    layer = BahdanauAttention(UNITS)
    context, weights = layer(query, values, mask=values_mask)
    expected_context, expected_weights = bahdanau_reference(layer, query, values, values_mask)
    assert context.shape == expected_context.shape and weights.shape == expected_weights.shape
    np.testing.assert_allclose(np.asarray(weights), expected_weights, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(np.asarray(context), expected_context, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(weights)[0, ..., LENGTHS[0] :], 0.0)


def test_precomputed_keys_give_the_same_result(rng, values, values_mask):
    layer = BahdanauAttention(UNITS)
    keys = layer.compute_keys(values)  # before the first call: builds only U
    assert keys.shape == (BATCH, VALUE_TIME, UNITS)
    query = rng.standard_normal((BATCH, QUERY_DIM)).astype("float32")
    with_keys = layer(query, values, keys=keys, mask=values_mask)
    without_keys = layer(query, values, mask=values_mask)
    for a, b in zip(with_keys, without_keys):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6)


def test_uses_the_keras_mask_of_values_from_an_embedding(rng):
    token_ids = np.array([[4, 2, 7, 0, 0], [1, 3, 5, 2, 6]])
    embedding = keras.layers.Embedding(10, VALUE_DIM, mask_zero=True)
    values = embedding(token_ids)
    query = rng.standard_normal((BATCH, QUERY_DIM)).astype("float32")
    layer = BahdanauAttention(UNITS)
    propagated = layer(query, values)
    explicit = layer(query, values, mask=token_ids != 0)
    unmasked = layer(query, np.asarray(values))
    np.testing.assert_array_equal(np.asarray(propagated[1])[0, 3:], 0.0)
    for a, b in zip(propagated, explicit):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6)
    assert np.asarray(unmasked[1])[0, 3:].min() > 0.0


def test_keras_mask_propagates_in_a_functional_model(rng):
    source = keras.Input((VALUE_TIME,), dtype="int32")
    query_input = keras.Input((QUERY_DIM,))
    values = keras.layers.Embedding(10, VALUE_DIM, mask_zero=True)(source)
    context, weights = BahdanauAttention(UNITS)(query_input, values)
    model = keras.Model([source, query_input], [context, weights])
    token_ids = np.array([[4, 2, 0, 0, 0], [1, 3, 5, 2, 6]])
    query = rng.standard_normal((BATCH, QUERY_DIM)).astype("float32")
    _, weights = model.predict([token_ids, query], verbose=0)
    np.testing.assert_array_equal(weights[0, 2:], 0.0)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-5)


def test_context_carries_the_query_mask_not_the_values_mask(rng, values, values_mask):
    target_ids = np.array([[3, 1, 0], [2, 2, 2]])
    query = keras.layers.Embedding(10, QUERY_DIM, mask_zero=True)(target_ids)
    context, _ = BahdanauAttention(UNITS)(query, values, mask=values_mask)
    mask = keras.src.backend.get_keras_mask(context)
    np.testing.assert_array_equal(np.asarray(mask), target_ids != 0)


def test_fully_masked_row_gives_zero_weights_and_context(rng, values):
    mask = np.array([[False] * VALUE_TIME, [True] * VALUE_TIME])
    query = rng.standard_normal((BATCH, QUERY_DIM)).astype("float32")
    context, weights = BahdanauAttention(UNITS)(query, values, mask=mask)
    np.testing.assert_array_equal(np.asarray(weights)[0], 0.0)
    np.testing.assert_array_equal(np.asarray(context)[0], 0.0)
    np.testing.assert_allclose(np.asarray(weights)[1].sum(), 1.0, rtol=1e-6)


def test_gradients_are_finite_and_nonzero(rng, values, values_mask, gradients):
    layer = BahdanauAttention(UNITS)
    query = rng.standard_normal((BATCH, QUERY_TIME, QUERY_DIM)).astype("float32")
    layer(query, values, mask=values_mask)
    grads = gradients(layer, query, values)
    assert len(grads) == 3
    assert all(np.isfinite(g).all() and np.abs(g).sum() > 0 for g in grads)


def test_mixed_precision_computes_in_float16_with_float32_weights(rng, values, values_mask):
    layer = BahdanauAttention(UNITS, dtype="mixed_float16")
    query = rng.standard_normal((BATCH, QUERY_TIME, QUERY_DIM)).astype("float32")
    context, weights = layer(query, values, mask=values_mask)
    assert keras.backend.standardize_dtype(context.dtype) == "float16"
    assert keras.backend.standardize_dtype(weights.dtype) == "float16"
    assert all(keras.backend.standardize_dtype(w.dtype) == "float32" for w in layer.weights)
    expected_context, _ = bahdanau_reference(layer, query, values, values_mask)
    np.testing.assert_allclose(
        np.asarray(context, "float32"), expected_context, rtol=1e-2, atol=1e-2
    )


def test_save_and_load_round_trip(rng, values, values_mask, tmp_path):
    query_input = keras.Input((QUERY_TIME, QUERY_DIM))
    values_input = keras.Input((VALUE_TIME, VALUE_DIM))
    mask_input = keras.Input((VALUE_TIME,), dtype="bool")
    outputs = BahdanauAttention(UNITS)(query_input, values_input, mask=mask_input)
    model = keras.Model([query_input, values_input, mask_input], outputs)
    path = tmp_path / "attention.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # no custom_objects: the class is registered
    assert isinstance(loaded.layers[-1], BahdanauAttention)
    query = rng.standard_normal((BATCH, QUERY_TIME, QUERY_DIM)).astype("float32")
    batch = [query, values, values_mask]
    for a, b in zip(model.predict(batch, verbose=0), loaded.predict(batch, verbose=0)):
        np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize(
    "query_shape, values_shape, match",
    [
        ((BATCH, 1, QUERY_TIME, QUERY_DIM), (BATCH, VALUE_TIME, VALUE_DIM), "query of rank 2 or 3"),
        ((BATCH, QUERY_DIM), (BATCH, VALUE_DIM), "values of rank 3"),
        ((BATCH, QUERY_DIM), (BATCH + 1, VALUE_TIME, VALUE_DIM), "batch size"),
    ],
)
def test_bad_shapes_raise_clear_errors(query_shape, values_shape, match):
    with pytest.raises(ValueError, match=match):
        BahdanauAttention(UNITS)(np.zeros(query_shape), np.zeros(values_shape))


def test_keys_of_the_wrong_width_are_rejected(values):
    layer = BahdanauAttention(UNITS)
    keys = np.zeros((BATCH, VALUE_TIME, UNITS + 1), "float32")
    with pytest.raises(ValueError, match="keys width"):
        layer(np.zeros((BATCH, QUERY_DIM), "float32"), values, keys=keys)


@pytest.mark.parametrize(
    "mask_shape",
    [(BATCH, VALUE_TIME + 1), (BATCH, VALUE_TIME - 1), (BATCH + 1, VALUE_TIME), (VALUE_TIME,)],
)
def test_mask_of_the_wrong_shape_is_rejected(values, mask_shape):
    layer = BahdanauAttention(UNITS)
    mask = np.ones(mask_shape, bool)
    with pytest.raises(ValueError, match=r"mask .*\(batch, value_time\).*got shape"):
        layer(np.zeros((BATCH, QUERY_DIM), "float32"), values, mask=mask)


def test_keys_of_the_wrong_batch_are_rejected(values):
    layer = BahdanauAttention(UNITS)
    keys = np.zeros((BATCH + 1, VALUE_TIME, UNITS), "float32")
    with pytest.raises(ValueError, match=f"keys batch size equal to values' of {BATCH}, got"):
        layer(np.zeros((BATCH, QUERY_DIM), "float32"), values, keys=keys)


def test_float64_policy_computes_in_float64(rng, values, values_mask):
    if keras.backend.backend() == "jax":
        # Without JAX_ENABLE_X64 JAX has no float64; with it, Keras 3.15's `ops.tanh` still
        # returns float32 for float64 input on JAX (its `result_type(float64, float)` is float32).
        pytest.skip("float64 through keras.ops is not available on JAX")
    layer = BahdanauAttention(UNITS, dtype="float64")
    query = rng.standard_normal((BATCH, QUERY_TIME, QUERY_DIM))
    context, weights = layer(query, values.astype("float64"), mask=values_mask)
    assert keras.backend.standardize_dtype(context.dtype) == "float64"
    assert keras.backend.standardize_dtype(weights.dtype) == "float64"
    expected_context, expected_weights = bahdanau_reference(
        layer, query, values.astype("float64"), values_mask
    )
    # Far below float32's resolution (~1e-7): nothing was rounded through float32.
    np.testing.assert_allclose(np.asarray(weights), expected_weights, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.asarray(context), expected_context, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("units", [np.int64(UNITS), np.int32(UNITS)])
def test_numpy_integer_units_are_accepted(units):
    layer = BahdanauAttention(units)
    assert layer.units == UNITS and type(layer.units) is int


@pytest.mark.parametrize("units", [True, 0, 2.0, "7"])
def test_bad_units_are_rejected(units):
    with pytest.raises(ValueError, match="`units` to be a positive integer"):
        BahdanauAttention(units)
