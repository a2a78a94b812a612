import keras
import numpy as np
import pytest
from keras import ops

from seqlib import data, decoding
from seqlib.seq2seq import (
    BahdanauDecoder,
    encoder_state,
    exact_matches,
    greedy_generate,
    keras_step_fn,
    teacher_forcing_split,
)

VOCAB = data.Vocabulary(["a", "b", "c", "d"])  # ids 4..7


def test_teacher_forcing_split_shifts_by_one():
    targets = np.array([[1, 4, 5, 2, 0], [1, 6, 2, 0, 0]])
    decoder_input, labels = teacher_forcing_split(targets)
    np.testing.assert_array_equal(decoder_input, [[1, 4, 5, 2], [1, 6, 2, 0]])
    np.testing.assert_array_equal(labels, [[4, 5, 2, 0], [6, 2, 0, 0]])


@pytest.mark.parametrize("shape", [(5,), (3, 1), (2, 3, 4)])
def test_teacher_forcing_split_rejects_bad_shapes(shape):
    with pytest.raises(ValueError, match="targets must be"):
        teacher_forcing_split(np.zeros(shape, np.int32))


def test_exact_matches_compare_tokens_and_length():
    predicted = [[4, 5, 2, 0], [4, 5, 6, 2], [4, 2, 0, 0]]
    reference = [[1, 4, 5, 2], [1, 4, 5, 2], [1, 4, 5, 2]]
    assert exact_matches(predicted, reference, VOCAB).tolist() == [True, False, False]
    with pytest.raises(ValueError, match="2 predictions for 3 references"):
        exact_matches(predicted[:2], reference, VOCAB)


def _repeat_first_token_models(vocab_size=8, units=4):
    # The encoder turns the first source token into fixed logits; the step model ignores its
    # token and emits those logits forever, so greedy decoding repeats the first source token.
    source = keras.Input((None,), dtype="int32")
    logits = ops.one_hot(source[:, 0], vocab_size) * 5.0
    encoder = keras.Model(source, {"logits": logits, "hidden": logits[:, :units] * 0.0})
    token = keras.Input((1,), dtype="int32")
    state = {"logits": keras.Input((vocab_size,)), "hidden": keras.Input((units,))}
    step = keras.Model([token, state], [ops.log_softmax(state["logits"]), state])
    return encoder, step


def test_keras_step_fn_returns_numpy_log_probs_and_state():
    encoder, step = _repeat_first_token_models()
    state = encoder_state(encoder, np.array([[5, 4], [6, 4]], np.int32))
    assert isinstance(state["logits"], np.ndarray) and state["hidden"].shape == (2, 4)
    log_probs, new_state = keras_step_fn(step)(np.array([1, 1]), state)
    assert isinstance(log_probs, np.ndarray) and log_probs.shape == (2, 8)
    np.testing.assert_allclose(np.exp(log_probs).sum(axis=1), 1.0, rtol=1e-5)
    assert log_probs[0].argmax() == 5 and log_probs[1].argmax() == 6
    np.testing.assert_array_equal(new_state["logits"], state["logits"])


def test_greedy_generate_decodes_until_eos_or_max_length():
    encoder, step = _repeat_first_token_models()
    ids = greedy_generate(encoder, step, np.array([[5, 4], [2, 4]], np.int32), VOCAB, 3)
    np.testing.assert_array_equal(ids, [[5, 5, 5], [2, 0, 0]])
    beams = decoding.beam_search(keras_step_fn(step), encoder_state(encoder, np.array([[2]])),
                                 VOCAB.bos_id, VOCAB.eos_id, 3, beam_width=2)
    assert beams[0][0][0].tolist() == [2]


def _decoder_inputs(seed=0, batch=2, time=5, source_time=4):
    rng = np.random.default_rng(seed)
    embedded = rng.normal(size=(batch, time, 3)).astype("float32")
    initial = rng.normal(size=(batch, 6)).astype("float32")
    values = rng.normal(size=(batch, source_time, 7)).astype("float32")
    mask = np.ones((batch, source_time), bool)
    mask[0, -1] = False
    return embedded, initial, values, mask


def test_bahdanau_decoder_shapes_masking_and_step_by_step_equivalence():
    decoder = BahdanauDecoder(6, attention_units=5)
    embedded, initial, values, mask = _decoder_inputs()
    states, contexts, weights, final = (ops.convert_to_numpy(x) for x in
                                        decoder(embedded, initial, values, source_mask=mask))
    assert states.shape == (2, 5, 6) and contexts.shape == (2, 5, 7)
    assert weights.shape == (2, 5, 4) and final.shape == (2, 6)
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)
    assert np.all(weights[0, :, -1] == 0.0)
    np.testing.assert_allclose(final, states[:, -1], rtol=1e-6)
    np.testing.assert_allclose(contexts, weights @ values, rtol=1e-4, atol=1e-5)
    keys = decoder.attention.compute_keys(values)
    state, stepped = initial, []
    for t in range(embedded.shape[1]):
        step_states, _, _, state = decoder(embedded[:, t : t + 1], state, values, keys=keys,
                                           source_mask=mask)
        stepped.append(ops.convert_to_numpy(step_states))
    np.testing.assert_allclose(np.concatenate(stepped, axis=1), states, rtol=1e-5, atol=1e-6)


def test_bahdanau_decoder_attends_with_the_previous_state():
    # Bahdanau: step i's weights come from s_{i-1}, so changing the first input token leaves the
    # first weights alone and changes the second (Luong's s_i query would change both).
    decoder = BahdanauDecoder(6)
    embedded, initial, values, mask = _decoder_inputs()
    changed = embedded.copy()
    changed[:, 0] += 1.0
    _, _, before, _ = decoder(embedded, initial, values, source_mask=mask)
    _, context, after, _ = decoder(changed, initial, values, source_mask=mask)
    before, after = ops.convert_to_numpy(before), ops.convert_to_numpy(after)
    np.testing.assert_allclose(before[:, 0], after[:, 0], rtol=1e-6)
    assert np.abs(before[:, 1] - after[:, 1]).max() > 1e-4
    first_context, first_weights = decoder.attention(initial, values, mask=mask)
    np.testing.assert_allclose(ops.convert_to_numpy(first_weights), after[:, 0], rtol=1e-5)
    np.testing.assert_allclose(ops.convert_to_numpy(first_context),
                               ops.convert_to_numpy(context)[:, 0], rtol=1e-5, atol=1e-6)


def test_bahdanau_decoder_trains_and_round_trips_its_config(tmp_path):
    embedded, initial, values, mask = _decoder_inputs()
    inputs = [keras.Input((None, 3)), keras.Input((6,)), keras.Input((None, 7))]
    states, *_ = BahdanauDecoder(6, name="decoder")(*inputs)
    model = keras.Model(inputs, keras.layers.Dense(2)(states))
    model.compile(optimizer="adam", loss="mse")
    before = model.predict([embedded, initial, values], verbose=0)
    model.fit([embedded, initial, values], np.ones((2, 5, 2)), epochs=3, verbose=0)
    after = model.predict([embedded, initial, values], verbose=0)
    assert np.abs(after - before).max() > 0
    path = tmp_path / "decoder.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    np.testing.assert_allclose(restored.predict([embedded, initial, values], verbose=0), after,
                               rtol=1e-5, atol=1e-6)
    config = model.get_layer("decoder").get_config()
    assert config["units"] == 6 and config["attention_units"] == 6


@pytest.mark.parametrize("units", [0, -3, 2.5, None])
def test_bahdanau_decoder_rejects_bad_units(units):
    with pytest.raises(ValueError, match="units"):
        BahdanauDecoder(units)
