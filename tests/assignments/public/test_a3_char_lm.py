"""Graded tests for assignment 3, the character-level language model (100 points)."""

import math
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

from seqlib.data import Vocabulary

FIXTURES = Path(__file__).parent / "fixtures"
# A sampler is rejected when its frequencies are this unlikely under softmax(logits / T).
P_VALUE_FLOOR = 1e-4


def collect(dataset):
    """All (inputs, targets) batches of a dataset as NumPy arrays, checking the element types."""
    assert isinstance(dataset, tf.data.Dataset), (
        f"make_windows must return a tf.data.Dataset, got {type(dataset).__name__}"
    )
    batches = []
    for element in dataset:
        assert isinstance(element, tuple) and len(element) == 2, (
            "each dataset element must be a tuple (inputs, targets)"
        )
        inputs, targets = element
        for name, tensor in (("inputs", inputs), ("targets", targets)):
            assert tensor.dtype == tf.int32, f"{name} must be int32, got {tensor.dtype}"
        batches.append((inputs.numpy(), targets.numpy()))
    assert batches, "the dataset is empty"
    return batches


def expected_windows(ids, window):
    count = (len(ids) - 1) // window
    chunks = np.array([ids[k * window : k * window + window + 1] for k in range(count)])
    return chunks[:, :-1], chunks[:, 1:]


def check_sampled_ids(ids, batch, vocab):
    assert isinstance(ids, np.ndarray), f"expected a NumPy array of ids, got {type(ids).__name__}"
    assert ids.shape == (batch,), f"expected one id per row, shape ({batch},), got {ids.shape}"
    assert np.issubdtype(ids.dtype, np.integer), f"ids must be integers, got dtype {ids.dtype}"
    assert ids.min() >= 0 and ids.max() < vocab, (
        f"ids must lie in [0, {vocab}), got {ids.min()}..{ids.max()}"
    )


def softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def assert_frequencies_match(ids, probabilities, what):
    counts = np.bincount(ids, minlength=len(probabilities))
    observed_frequencies = np.round(counts / len(ids), 3)
    possible = probabilities > 0
    assert not counts[~possible].any(), (
        f"{what}: sampled ids {np.flatnonzero(~possible & (counts > 0))} have probability 0"
    )
    _, p_value = stats.chisquare(counts[possible], probabilities[possible] * len(ids))
    assert p_value > P_VALUE_FLOOR, (
        f"{what}: sampled frequencies {observed_frequencies} do not follow softmax(logits / T) "
        f"= {np.round(probabilities, 3)} (chi-square p = {p_value:.2g})"
    )


# --------------------------------------------------------------------------- make_windows (25)


@pytest.mark.points(6)
def test_windows_hold_every_window_shifted_by_one(submission):
    ids = np.arange(100, 123)  # 23 ids, window 5: windows start at 0, 5, 10, 15; 2 ids left over
    batches = collect(submission.make_windows(ids, window=5, batch_size=3))
    assert [b[0].shape for b in batches] == [(3, 5), (1, 5)], (
        f"expected batches of shape (3, 5) then (1, 5), got {[b[0].shape for b in batches]}"
    )
    inputs = np.concatenate([b[0] for b in batches])
    targets = np.concatenate([b[1] for b in batches])
    expected_inputs, expected_targets = expected_windows(ids, 5)
    np.testing.assert_array_equal(inputs, expected_inputs, err_msg="inputs windows are wrong")
    np.testing.assert_array_equal(targets, expected_targets, err_msg="target windows are wrong")


@pytest.mark.points(4)
@pytest.mark.parametrize("seed", [1, 2])
def test_windows_cover_every_target_exactly_once(submission, seed):
    rng = np.random.default_rng(seed)
    window, batch_size = int(rng.integers(2, 9)), int(rng.integers(1, 6))
    ids = rng.integers(0, 50, size=int(rng.integers(window + 1, 80)))
    batches = collect(submission.make_windows(ids, window, batch_size))
    count = (len(ids) - 1) // window
    sizes = [len(b[0]) for b in batches]
    expected_sizes = [batch_size] * (count // batch_size) + [count % batch_size] * bool(
        count % batch_size
    )
    assert sizes == expected_sizes, (
        f"{len(ids)} ids, window {window}, batch_size {batch_size}: expected batch sizes "
        f"{expected_sizes}, got {sizes}"
    )
    inputs = np.concatenate([b[0] for b in batches]).reshape(-1)
    targets = np.concatenate([b[1] for b in batches]).reshape(-1)
    np.testing.assert_array_equal(
        targets, ids[1 : count * window + 1], err_msg="each id after the first is one target"
    )
    np.testing.assert_array_equal(inputs, ids[: count * window], err_msg="inputs are wrong")


@pytest.mark.points(5)
def test_windows_shuffle_whole_windows_reproducibly(submission):
    ids = np.arange(0, 241)  # 40 windows of 6
    ordered = np.concatenate([b[0] for b in collect(submission.make_windows(ids, 6, 7))])
    first = collect(submission.make_windows(ids, 6, 7, shuffle=True, seed=3))
    again = collect(submission.make_windows(ids, 6, 7, shuffle=True, seed=3))
    inputs = np.concatenate([b[0] for b in first])
    targets = np.concatenate([b[1] for b in first])
    np.testing.assert_array_equal(targets, inputs + 1, err_msg="shuffling broke a window apart")
    np.testing.assert_array_equal(
        np.sort(inputs, axis=0), np.sort(ordered, axis=0),
        err_msg="shuffled windows must be the same windows in another order",
    )
    np.testing.assert_array_equal(inputs[:, 1:] - inputs[:, :-1], 1, err_msg="ids moved inside")
    assert not np.array_equal(inputs, ordered), "shuffle=True left the windows in order"
    np.testing.assert_array_equal(
        np.concatenate([b[0] for b in again]), inputs, err_msg="the same seed must give one order"
    )


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "ids, window, batch_size",
    [
        (np.arange(20).reshape(4, 5), 3, 2),  # not 1-D
        (np.linspace(0, 1, 20), 3, 2),  # not integer ids
        (np.arange(20), 0, 2),
        (np.arange(20), 3, 0),
        (np.arange(20), 2.5, 2),
        (np.arange(4), 4, 2),  # shorter than window + 1
    ],
    ids=["rank2", "float-ids", "window0", "batch0", "float-window", "too-short"],
)
def test_windows_reject_bad_arguments(submission, ids, window, batch_size):
    with pytest.raises(ValueError):
        submission.make_windows(ids, window, batch_size)
    collect(submission.make_windows(np.arange(5), 4, 1))  # the shortest valid input works


# -------------------------------------------------------------- sample_with_temperature (23)


@pytest.mark.points(2)
@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.5])
def test_sampling_follows_softmax_of_scaled_logits(submission, temperature):
    logits = np.array([1.5, 0.2, -0.7, 0.9, 0.0, -2.0])
    draws = 30_000
    ids = submission.sample_with_temperature(
        np.tile(logits, (draws, 1)), temperature, np.random.default_rng(7)
    )
    check_sampled_ids(ids, draws, len(logits))
    assert_frequencies_match(ids, softmax(logits / temperature), f"temperature {temperature}")


@pytest.mark.points(3)
def test_each_row_is_sampled_from_its_own_logits(submission):
    rng = np.random.default_rng(11)
    rows = rng.normal(size=(2, 5)) * 2
    draws = 20_000
    logits = np.repeat(rows, draws, axis=0)  # draws of row 0, then draws of row 1
    ids = submission.sample_with_temperature(logits, 0.8, np.random.default_rng(12))
    check_sampled_ids(ids, 2 * draws, 5)
    for row in range(2):
        assert_frequencies_match(
            ids[row * draws : (row + 1) * draws], softmax(rows[row] / 0.8), f"row {row}"
        )


@pytest.mark.points(4)
def test_temperature_limits_are_argmax_and_uniform(submission):
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(500, 9)) * 20
    with np.errstate(over="raise", invalid="raise"):  # overflow: the max was not subtracted
        cold = submission.sample_with_temperature(logits, 1e-8, np.random.default_rng(0))
    check_sampled_ids(cold, 500, 9)
    np.testing.assert_array_equal(
        cold, logits.argmax(axis=-1), err_msg="temperature -> 0 must sample the argmax"
    )
    hot = submission.sample_with_temperature(
        np.tile(logits[0], (20_000, 1)), 1e6, np.random.default_rng(1)
    )
    check_sampled_ids(hot, 20_000, 9)
    assert_frequencies_match(hot, np.full(9, 1 / 9), "temperature 1e6 (almost uniform)")


@pytest.mark.points(2)
def test_minus_infinity_logits_are_never_sampled(submission):
    logits = np.tile([0.0, -np.inf, 1.0, -np.inf, 0.5], (5_000, 1))
    ids = submission.sample_with_temperature(logits, 1.3, np.random.default_rng(5))
    check_sampled_ids(ids, 5_000, 5)
    assert not np.isin(ids, [1, 3]).any(), "ids with logit -inf were sampled"
    assert_frequencies_match(ids, softmax(np.array([0.0, -np.inf, 1.0, -np.inf, 0.5]) / 1.3),
                             "logits with -inf entries")


@pytest.mark.points(2)
def test_sampling_draws_its_randomness_from_rng(submission):
    logits = np.zeros((200, 10))
    first = submission.sample_with_temperature(logits, 1.0, np.random.default_rng(42))
    again = submission.sample_with_temperature(logits, 1.0, np.random.default_rng(42))
    other = submission.sample_with_temperature(logits, 1.0, np.random.default_rng(43))
    check_sampled_ids(first, 200, 10)
    np.testing.assert_array_equal(first, again, err_msg="the same rng seed must give the same ids")
    assert not np.array_equal(first, other), "different rng seeds gave identical samples"


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "logits, temperature",
    [
        (np.zeros(4), 1.0),  # rank 1
        (np.array([[0.0, np.nan, 1.0]]), 1.0),
        (np.array([[0.0, np.inf, 1.0]]), 1.0),
        (np.zeros((2, 3)), 0.0),
        (np.zeros((2, 3)), -1.0),
        (np.zeros((2, 3)), float("nan")),
    ],
    ids=["rank1", "nan-logit", "inf-logit", "zero-T", "negative-T", "nan-T"],
)
def test_sampling_rejects_bad_arguments(submission, logits, temperature):
    with pytest.raises(ValueError):
        submission.sample_with_temperature(logits, temperature, np.random.default_rng(0))
    check_sampled_ids(submission.sample_with_temperature(np.zeros((2, 3)), 1.0,
                                                         np.random.default_rng(0)), 2, 3)


# ------------------------------------------------------------------------------- metrics (19)


@pytest.mark.points(3)
@pytest.mark.parametrize("seed", [0, 1])
def test_mean_nll_matches_keras_cross_entropy(submission, seed):
    rng = np.random.default_rng(seed)
    batch, time, vocab = rng.integers(1, 5), rng.integers(1, 7), rng.integers(2, 12)
    logits = rng.normal(size=(batch, time, vocab)).astype(np.float32) * 3
    targets = rng.integers(0, vocab, size=(batch, time))
    result = submission.mean_nll(logits, targets)
    assert isinstance(result, float), f"mean_nll must return a Python float, got {type(result)}"
    expected = float(
        np.mean(keras.losses.sparse_categorical_crossentropy(targets, logits, from_logits=True))
    )
    assert result == pytest.approx(expected, rel=1e-5), (
        f"mean NLL of shape {logits.shape} logits: expected {expected:.6f}, got {result:.6f}"
    )


@pytest.mark.points(4)
def test_mean_nll_is_stable_for_large_logits(submission):
    reference = np.load(FIXTURES / "a3_reference.npz")
    with np.errstate(over="raise", invalid="raise"):
        result = submission.mean_nll(reference["logits"], reference["targets"])
    assert isinstance(result, float), f"mean_nll must return a Python float, got {type(result)}"
    assert result == pytest.approx(float(reference["nll"]), rel=1e-4), (
        f"logits around 1e3 need the log-sum-exp trick: expected {float(reference['nll']):.6f}, "
        f"got {result}"
    )


@pytest.mark.points(4)
def test_perplexity_and_bits_per_character(submission):
    cases = [  # (nll in nats, perplexity, bits per character)
        (0.0, 1.0, 0.0),
        (math.log(2), 2.0, 1.0),
        (math.log(5), 5.0, math.log2(5)),
        (8 * math.log(2), 256.0, 8.0),
        (1.3, math.exp(1.3), 1.3 / math.log(2)),
    ]
    for nll, expected_perplexity, expected_bits in cases:
        perplexity = submission.perplexity(nll)
        bits = submission.bits_per_character(nll)
        for name, value in (("perplexity", perplexity), ("bits_per_character", bits)):
            assert isinstance(value, float), f"{name} must return a float, got {type(value)}"
        assert perplexity == pytest.approx(expected_perplexity, rel=1e-12), (
            f"perplexity({nll:.4f}) should be exp(nll) = {expected_perplexity}, got {perplexity}"
        )
        assert bits == pytest.approx(expected_bits, rel=1e-12, abs=1e-15), (
            f"bits_per_character({nll:.4f}) should be nll / ln 2 = {expected_bits}, got {bits}"
        )


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.mean_nll(np.zeros((2, 3)), np.zeros((2,), int)),  # logits not rank 3
        lambda s: s.mean_nll(np.zeros((2, 3, 4)), np.zeros((2, 4), int)),  # shape mismatch
        lambda s: s.mean_nll(np.zeros((2, 3, 4)), np.full((2, 3), 4)),  # id out of range
        lambda s: s.perplexity(-0.5),
        lambda s: s.bits_per_character(float("nan")),
    ],
    ids=["rank2-logits", "shape-mismatch", "id-out-of-range", "negative-nll", "nan-nll"],
)
def test_metrics_reject_bad_arguments(submission, call):
    with pytest.raises(ValueError):
        call(submission)
    assert submission.perplexity(0.0) == pytest.approx(1.0)  # valid input still works


# -------------------------------------------------------------------------- build_char_lm (18)


@pytest.mark.points(3)
@pytest.mark.parametrize("rnn_type", ["lstm", "gru"])
def test_model_maps_ids_to_logits_of_any_length(submission, rnn_type):
    model = submission.build_char_lm(11, embedding_dim=4, units=6, rnn_type=rnn_type)
    assert isinstance(model, keras.Model), f"expected a keras.Model, got {type(model).__name__}"
    for shape in [(2, 7), (3, 2)]:
        ids = np.random.default_rng(0).integers(0, 11, size=shape).astype(np.int32)
        logits = keras.ops.convert_to_numpy(model(ids))
        assert logits.shape == (*shape, 11), (
            f"ids of shape {shape} should give logits of shape {(*shape, 11)}, got {logits.shape}"
        )
        assert np.isfinite(logits).all()
        assert not np.allclose(logits.sum(axis=-1), 1.0, atol=1e-3), (
            "the model must output logits; remove the softmax (the loss uses from_logits=True)"
        )


@pytest.mark.points(3)
@pytest.mark.parametrize("rnn_type, layer_class", [("lstm", "LSTM"), ("gru", "GRU")])
def test_model_has_the_specified_layers(submission, rnn_type, layer_class):
    vocab, embedding_dim, units = 13, 5, 7
    model = submission.build_char_lm(vocab, embedding_dim, units, rnn_type)
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    kinds = [type(layer).__name__ for layer in layers]
    assert kinds == ["Embedding", layer_class, "Dense"], (
        f"expected the layers Embedding, {layer_class}, Dense, got {kinds}"
    )
    embedding, recurrent, dense = layers
    assert (embedding.input_dim, embedding.output_dim) == (vocab, embedding_dim)
    assert recurrent.units == units and recurrent.return_sequences, (
        f"the {layer_class} needs units={units} and return_sequences=True"
    )
    assert dense.units == vocab and dense.activation is keras.activations.linear, (
        "the Dense layer must output vocab_size logits with no activation"
    )
    if rnn_type == "lstm":
        expected = vocab * embedding_dim + 4 * (embedding_dim * units + units**2 + units)
        expected += units * vocab + vocab
        assert model.count_params() == expected, (
            f"expected {expected} parameters, got {model.count_params()}"
        )


@pytest.mark.points(3)
def test_model_is_causal(submission):
    model = submission.build_char_lm(9, embedding_dim=3, units=5)
    ids = np.random.default_rng(1).integers(0, 9, size=(1, 8)).astype(np.int32)
    changed = ids.copy()
    changed[0, 5] = (ids[0, 5] + 1) % 9
    before = keras.ops.convert_to_numpy(model(ids))
    after = keras.ops.convert_to_numpy(model(changed))
    np.testing.assert_allclose(
        after[0, :5], before[0, :5], atol=1e-6,
        err_msg="logits before position 5 must not depend on the input at position 5",
    )
    assert not np.allclose(after[0, 5], before[0, 5]), "logits must depend on the current input"


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "kwargs",
    [{"vocab_size": 1}, {"vocab_size": 10, "units": 0}, {"vocab_size": 10, "rnn_type": "rnn"}],
    ids=["vocab1", "units0", "unknown-rnn"],
)
def test_model_rejects_bad_arguments(submission, kwargs):
    with pytest.raises(ValueError):
        submission.build_char_lm(**kwargs)
    assert isinstance(submission.build_char_lm(4, 2, 2), keras.Model)


# ------------------------------------------------------------------------------- generate (15)

CHARS = Vocabulary("abcdefg")  # ids 4..10 for a..g after the four special ids


class SuccessorModel(keras.Model):
    """Logits that name the successor (a -> b, ..., g -> a) of the character at each position.

    The padding id gets an even larger logit: a generator that forgets to forbid special ids
    samples it.
    """

    def call(self, ids):
        first, count = 4, len(CHARS) - 4
        successor = first + (keras.ops.cast(ids, "int32") - first + 1) % count
        logits = 30.0 * keras.ops.one_hot(successor, len(CHARS))
        return logits + 40.0 * keras.ops.one_hot(keras.ops.zeros_like(successor), len(CHARS))


class UniformModel(keras.Model):
    """Equal logits for every id."""

    def call(self, ids):
        return keras.ops.zeros((*keras.ops.shape(ids), len(CHARS)))


def check_text(text, prompt, length):
    assert isinstance(text, str), f"generate must return a str, got {type(text).__name__}"
    assert len(text) == len(prompt) + length, (
        f"expected {len(prompt)} prompt + {length} new characters, got {len(text)}: {text!r}"
    )
    assert text.startswith(prompt), f"the text must start with the prompt {prompt!r}: {text!r}"


@pytest.mark.points(5)
def test_generate_follows_a_deterministic_model(submission):
    text = submission.generate(SuccessorModel(), CHARS, "fa", 9, temperature=1.0, seed=0)
    check_text(text, "fa", 9)
    assert text == "fabcdefgabc", (
        f"each new character must come from the logits at the last position (with special ids "
        f"forbidden): expected 'fabcdefgabc', got {text!r}"
    )


@pytest.mark.points(5)
def test_generate_is_reproducible_per_seed(submission):
    first = submission.generate(UniformModel(), CHARS, "ab", 30, temperature=1.0, seed=5)
    again = submission.generate(UniformModel(), CHARS, "ab", 30, temperature=1.0, seed=5)
    other = submission.generate(UniformModel(), CHARS, "ab", 30, temperature=1.0, seed=6)
    check_text(first, "ab", 30)
    assert set(first) <= set("abcdefg"), f"special tokens leaked into the text: {first!r}"
    assert first == again, "the same seed must generate the same text"
    assert first != other, "different seeds generated the same text"
    assert len(set(first[2:])) >= 4, f"a uniform model should use many characters: {first!r}"


@pytest.mark.points(2)
def test_generate_zero_characters_returns_the_prompt(submission):
    text = submission.generate(SuccessorModel(), CHARS, "gab", 0)
    check_text(text, "gab", 0)


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "prompt, length", [("", 3), ("abz", 3), ("ab", -1)], ids=["empty", "unknown-char", "negative"]
)
def test_generate_rejects_bad_arguments(submission, prompt, length):
    with pytest.raises(ValueError):
        submission.generate(SuccessorModel(), CHARS, prompt, length)
    check_text(submission.generate(SuccessorModel(), CHARS, "a", 1), "a", 1)
