"""Public graded tests for assignment a3_char_lm, the character-level language model.

Students run these with the self-check; the hidden tests reuse the `check_*` functions on other
shapes, seeds and edge cases. The submission's objects stay in its sandboxed process: a dataset,
a random generator, a model or a vocabulary is a handle whose methods run there, and only plain
data (arrays, numbers, strings) comes back. Expected values come from NumPy references,
`fixtures/` and Keras, all in this trusted process.
"""

import math
from pathlib import Path

import keras
import numpy as np
import pytest
from scipy import stats

from autograder.own_work import assert_own_work

FIXTURES = Path(__file__).parent / "fixtures"
# A sampler is rejected when its frequencies are this unlikely under softmax(logits / T).
P_VALUE_FLOOR = 1e-4
ALLOWED_MODULES = ("numpy", "math", "tensorflow", "keras")
# The metrics and the sampler are yours: no library loss, softmax or categorical sampler.
LIBRARIES = ("keras", "tensorflow", "tf", "scipy", "torch", "jax")
FORBIDDEN = {
    "mean_nll": LIBRARIES + ("logsumexp", "log_softmax", "softmax", "losses",
                             "sparse_categorical_crossentropy", "categorical_crossentropy"),
    "sample_with_temperature": LIBRARIES + ("categorical", "softmax"),
    "perplexity": LIBRARIES,
    "bits_per_character": LIBRARIES,
}


def assert_own(graded_source, name):
    assert_own_work(graded_source, name, ALLOWED_MODULES, FORBIDDEN.get(name, ()))


def rng_in_submission(submission, seed):
    """A `np.random.Generator` created in the submission's process (a handle)."""
    return submission.lib("numpy.random.default_rng")(seed)


# ---------------------------------------------------------------------------- make_windows


def collect(submission, dataset):
    """All (inputs, targets) batches of a dataset as NumPy arrays, checking the element types."""
    kind = submission.typename(dataset)
    assert kind.startswith("tensorflow.") and "Dataset" in kind, (
        f"make_windows must return a tf.data.Dataset, got {kind}"
    )
    batches = []
    for element in list(dataset):
        assert isinstance(element, tuple) and len(element) == 2, (
            "each dataset element must be a tuple (inputs, targets)"
        )
        for name, array in zip(("inputs", "targets"), element):
            assert isinstance(array, np.ndarray) and array.dtype == np.int32, (
                f"{name} must be int32 tensors, got {getattr(array, 'dtype', type(array))}"
            )
        batches.append(element)
    assert batches, "the dataset is empty"
    return batches


def expected_windows(ids, window):
    count = (len(ids) - 1) // window
    chunks = np.array([ids[k * window : k * window + window + 1] for k in range(count)])
    return chunks[:, :-1], chunks[:, 1:]


def check_windows(submission, graded_source, ids, window, batch_size):
    """Every window in order, shifted by one, in batches of batch_size (the last may be short)."""
    assert_own(graded_source, "make_windows")
    batches = collect(submission, submission.make_windows(ids, window, batch_size))
    count = (len(ids) - 1) // window
    what = f"{len(ids)} ids, window {window}, batch_size {batch_size}"
    sizes = [len(inputs) for inputs, _ in batches]
    expected_sizes = [batch_size] * (count // batch_size) + [count % batch_size] * bool(
        count % batch_size)
    assert sizes == expected_sizes, f"{what}: expected batch sizes {expected_sizes}, got {sizes}"
    expected_inputs, expected_targets = expected_windows(ids, window)
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), expected_inputs,
                                  err_msg=f"{what}: input windows are wrong")
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), expected_targets,
                                  err_msg=f"{what}: target windows are wrong")


def check_shuffle(submission, graded_source, num_windows, window, batch_size, seed):
    assert_own(graded_source, "make_windows")
    ids = np.arange(num_windows * window + 1)
    ordered = np.concatenate([b[0] for b in collect(
        submission, submission.make_windows(ids, window, batch_size))])
    first = collect(submission, submission.make_windows(ids, window, batch_size, shuffle=True,
                                                        seed=seed))
    again = collect(submission, submission.make_windows(ids, window, batch_size, shuffle=True,
                                                        seed=seed))
    inputs = np.concatenate([b[0] for b in first])
    targets = np.concatenate([b[1] for b in first])
    np.testing.assert_array_equal(targets, inputs + 1, err_msg="shuffling broke a window apart")
    np.testing.assert_array_equal(inputs[:, 1:] - inputs[:, :-1], 1, err_msg="ids moved inside")
    np.testing.assert_array_equal(
        np.sort(inputs[:, 0]), ordered[:, 0],
        err_msg="shuffled windows must be the same windows in another order")
    assert not np.array_equal(inputs, ordered), "shuffle=True left the windows in order"
    np.testing.assert_array_equal(np.concatenate([b[0] for b in again]), inputs,
                                  err_msg="the same seed must give the same order")


BAD_WINDOWS = {
    "ids of rank 2": (np.arange(20).reshape(4, 5), 3, 2),
    "float ids": (np.linspace(0, 1, 20), 3, 2),
    "window 0": (np.arange(20), 0, 2),
    "batch_size 0": (np.arange(20), 3, 0),
    "a float window": (np.arange(20), 2.5, 2),
    "fewer than window + 1 ids": (np.arange(4), 4, 2),
}


def check_windows_reject(submission, graded_source, problem):
    check_windows(submission, graded_source, np.arange(5), 4, 1)  # the shortest valid input
    with pytest.raises(ValueError):
        submission.make_windows(*BAD_WINDOWS[problem])
        pytest.fail(f"make_windows accepted {problem}; expected a ValueError")


@pytest.mark.points(4)
def test_windows_hold_every_window_shifted_by_one(submission, graded_source):
    """make_windows: 23 ids, window 5, batch_size 3 give batches of 3 and 1 windows."""
    check_windows(submission, graded_source, np.arange(100, 123), 5, 3)


@pytest.mark.points(3)
def test_windows_cover_every_target_exactly_once(submission, graded_source):
    """make_windows: random ids, every id after the first is a target exactly once."""
    ids = np.random.default_rng(1).integers(0, 50, size=38)
    check_windows(submission, graded_source, ids, 4, 3)


@pytest.mark.points(4)
def test_windows_shuffle_whole_windows_reproducibly(submission, graded_source):
    """make_windows(shuffle=True, seed=...): whole windows, reproducible order."""
    check_shuffle(submission, graded_source, 40, 6, 7, 3)


@pytest.mark.points(2)
def test_windows_reject_bad_arguments(submission, graded_source):
    """make_windows raises ValueError for bad ids, window or batch_size."""
    for problem in BAD_WINDOWS:
        check_windows_reject(submission, graded_source, problem)


# ----------------------------------------------------------------- sample_with_temperature


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
    possible = probabilities > 0
    assert not counts[~possible].any(), (
        f"{what}: sampled ids {np.flatnonzero(~possible & (counts > 0))} have probability 0"
    )
    _, p_value = stats.chisquare(counts[possible], probabilities[possible] * len(ids))
    assert p_value > P_VALUE_FLOOR, (
        f"{what}: sampled frequencies {np.round(counts / len(ids), 3)} do not follow "
        f"softmax(logits / T) = {np.round(probabilities, 3)} (chi-square p = {p_value:.2g})"
    )


def check_sampling(submission, graded_source, rows, temperature, draws, seed):
    """Each of `rows` (logits) sampled `draws` times follows softmax(row / temperature)."""
    assert_own(graded_source, "sample_with_temperature")
    rows = np.asarray(rows, dtype=np.float64)
    logits = np.repeat(rows, draws, axis=0)
    ids = submission.sample_with_temperature(logits, temperature,
                                             rng_in_submission(submission, seed))
    check_sampled_ids(ids, len(logits), rows.shape[1])
    for index, row in enumerate(rows):
        assert_frequencies_match(ids[index * draws : (index + 1) * draws],
                                 softmax(row / temperature),
                                 f"logits {np.round(row, 2).tolist()}, temperature {temperature}")


def check_cold(submission, graded_source, seed, batch, vocab):
    """temperature 1e-8 samples the argmax, even for logits around 1e3."""
    assert_own(graded_source, "sample_with_temperature")
    logits = np.random.default_rng(seed).normal(size=(batch, vocab)) * 20 + 1000
    cold = submission.sample_with_temperature(logits, 1e-8, rng_in_submission(submission, 0))
    check_sampled_ids(cold, batch, vocab)
    np.testing.assert_array_equal(cold, logits.argmax(axis=-1),
                                  err_msg="temperature -> 0 must sample the argmax")


def check_rng_used(submission, graded_source, batch, vocab):
    assert_own(graded_source, "sample_with_temperature")
    logits = np.zeros((batch, vocab))

    def sample(seed):
        return submission.sample_with_temperature(logits, 1.0, rng_in_submission(submission, seed))

    first, again, other = sample(42), sample(42), sample(43)
    check_sampled_ids(first, batch, vocab)
    np.testing.assert_array_equal(first, again, err_msg="the same rng seed must give the same ids")
    assert not np.array_equal(first, other), "different rng seeds gave identical samples"


BAD_SAMPLING = {
    "logits of rank 1": (np.zeros(4), 1.0),
    "a NaN logit": (np.array([[0.0, np.nan, 1.0]]), 1.0),
    "a +inf logit": (np.array([[0.0, np.inf, 1.0]]), 1.0),
    "a row without a finite logit": (np.array([[0.0, 1.0], [-np.inf, -np.inf]]), 1.0),
    "temperature 0": (np.zeros((2, 3)), 0.0),
    "a negative temperature": (np.zeros((2, 3)), -1.0),
    "a NaN temperature": (np.zeros((2, 3)), float("nan")),
}


def check_sampling_rejects(submission, graded_source, problem):
    check_rng_used(submission, graded_source, 50, 3)
    logits, temperature = BAD_SAMPLING[problem]
    with pytest.raises(ValueError):
        submission.sample_with_temperature(logits, temperature, rng_in_submission(submission, 0))
        pytest.fail(f"sample_with_temperature accepted {problem}; expected a ValueError")


@pytest.mark.points(2)
@pytest.mark.parametrize("temperature", [0.5, 2.5])
def test_sampling_follows_softmax_of_scaled_logits(submission, graded_source, temperature):
    """sample_with_temperature follows softmax(logits / T)."""
    check_sampling(submission, graded_source, [[1.5, 0.2, -0.7, 0.9, 0.0, -2.0]], temperature,
                   20_000, 7)


@pytest.mark.points(3)
def test_each_row_is_sampled_from_its_own_logits(submission, graded_source):
    """sample_with_temperature samples each row from its own logits."""
    rows = np.random.default_rng(11).normal(size=(2, 5)) * 2
    check_sampling(submission, graded_source, rows, 0.8, 15_000, 12)


@pytest.mark.points(3)
def test_temperature_limits_are_argmax_and_uniform(submission, graded_source):
    """sample_with_temperature: T -> 0 is argmax (no overflow), T = 1e6 almost uniform."""
    check_cold(submission, graded_source, 3, 300, 9)
    check_sampling(submission, graded_source, [np.linspace(-3, 3, 9)], 1e6, 20_000, 1)


@pytest.mark.points(2)
def test_minus_infinity_logits_are_never_sampled(submission, graded_source):
    """sample_with_temperature never samples an id whose logit is -inf."""
    check_sampling(submission, graded_source, [[0.0, -np.inf, 1.0, -np.inf, 0.5]], 1.3, 5_000, 5)


@pytest.mark.points(2)
def test_sampling_draws_its_randomness_from_rng(submission, graded_source):
    """sample_with_temperature: the same rng seed gives the same ids, another seed others."""
    check_rng_used(submission, graded_source, 200, 10)


@pytest.mark.points(1)
def test_sampling_rejects_bad_arguments(submission, graded_source):
    """sample_with_temperature raises ValueError for bad logits or temperatures."""
    for problem in BAD_SAMPLING:
        check_sampling_rejects(submission, graded_source, problem)


# ----------------------------------------------------------------------------- metrics


def reference_nll(logits, targets):
    """Mean cross-entropy of Keras (trusted), in float64."""
    return float(np.mean(keras.ops.convert_to_numpy(keras.losses.sparse_categorical_crossentropy(
        targets, logits.astype(np.float64), from_logits=True))))


def check_mean_nll(submission, graded_source, seed, shape, scale=3.0, offset=0.0):
    """mean_nll of random logits (batch, time, vocab) = `shape` against Keras' cross-entropy."""
    assert_own(graded_source, "mean_nll")
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=shape) * scale + offset
    targets = rng.integers(0, shape[-1], size=shape[:2])
    result = submission.mean_nll(logits, targets)
    assert isinstance(result, float), f"mean_nll must return a Python float, got {type(result)}"
    expected = reference_nll(logits - offset, targets)
    assert result == pytest.approx(expected, rel=1e-6), (
        f"mean NLL of logits of shape {shape} (scale {scale}, offset {offset}): expected "
        f"{expected:.6f}, got {result:.6f}"
    )


def check_perplexity_and_bits(submission, graded_source, nll):
    for name in ("perplexity", "bits_per_character"):
        assert_own(graded_source, name)
    perplexity = submission.perplexity(nll)
    bits = submission.bits_per_character(nll)
    for name, value in (("perplexity", perplexity), ("bits_per_character", bits)):
        assert isinstance(value, float), f"{name} must return a float, got {type(value).__name__}"
    assert perplexity == pytest.approx(math.exp(nll), rel=1e-12), (
        f"perplexity({nll!r}) should be exp(nll) = {math.exp(nll)}, got {perplexity}"
    )
    assert bits == pytest.approx(nll / math.log(2), rel=1e-12, abs=1e-15), (
        f"bits_per_character({nll!r}) should be nll / ln 2 = {nll / math.log(2)}, got {bits}"
    )


BAD_METRICS = {
    "mean_nll of rank-2 logits": ("mean_nll", np.zeros((2, 3)), np.zeros((2,), int)),
    "mean_nll with targets of another shape": ("mean_nll", np.zeros((2, 3, 4)),
                                               np.zeros((2, 4), int)),
    "mean_nll with an id out of range": ("mean_nll", np.zeros((2, 3, 4)), np.full((2, 3), 4)),
    "mean_nll with float targets": ("mean_nll", np.zeros((2, 3, 4)), np.zeros((2, 3))),
    "perplexity of a negative NLL": ("perplexity", -0.5),
    "bits_per_character of NaN": ("bits_per_character", float("nan")),
    "perplexity of infinity": ("perplexity", float("inf")),
}


def check_metrics_reject(submission, graded_source, problem):
    check_mean_nll(submission, graded_source, 0, (1, 2, 3))
    check_perplexity_and_bits(submission, graded_source, 0.5)
    function, *args = BAD_METRICS[problem]
    with pytest.raises(ValueError):
        getattr(submission, function)(*args)
        pytest.fail(f"{problem} was accepted; expected a ValueError")


@pytest.mark.points(3)
@pytest.mark.parametrize("seed, shape", [(0, (2, 3, 5)), (1, (4, 1, 11))])
def test_mean_nll_matches_keras_cross_entropy(submission, graded_source, seed, shape):
    """mean_nll equals Keras' sparse categorical cross-entropy on random logits."""
    check_mean_nll(submission, graded_source, seed, shape)


@pytest.mark.points(3)
def test_mean_nll_is_stable_for_large_logits(submission, graded_source):
    """mean_nll of the stored logits around 1e3 (needs the log-sum-exp trick)."""
    assert_own(graded_source, "mean_nll")
    reference = np.load(FIXTURES / "a3_reference.npz")
    result = submission.mean_nll(reference["logits"], reference["targets"])
    assert isinstance(result, float), f"mean_nll must return a Python float, got {type(result)}"
    assert result == pytest.approx(float(reference["nll"]), rel=1e-6), (
        f"logits around 1e3 (tests/assignments/public/fixtures/a3_reference.npz: logits "
        f"{reference['logits'].shape}, targets {reference['targets'].shape}) need the "
        f"log-sum-exp trick: expected {float(reference['nll']):.6f}, got {result}"
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("nll", [0.0, math.log(5), 1.3])
def test_perplexity_and_bits_per_character(submission, graded_source, nll):
    """perplexity = exp(NLL) and bits_per_character = NLL / ln 2."""
    check_perplexity_and_bits(submission, graded_source, nll)


@pytest.mark.points(1)
def test_metrics_reject_bad_arguments(submission, graded_source):
    """mean_nll, perplexity and bits_per_character raise ValueError for bad arguments."""
    for problem in list(BAD_METRICS)[:5]:
        check_metrics_reject(submission, graded_source, problem)


# --------------------------------------------------------------------------- build_char_lm


def check_model(submission, graded_source, vocab, embedding_dim, units, rnn_type):
    """Layers Embedding, LSTM/GRU, Dense; parameter count; logits of any length."""
    assert_own(graded_source, "build_char_lm")
    model = submission.build_char_lm(vocab, embedding_dim, units, rnn_type)
    assert submission.typename(model).startswith("keras."), (
        f"expected a keras.Model, got {submission.typename(model)}")
    layers = [layer for layer in model.layers
              if not submission.typename(layer).endswith(".InputLayer")]
    kinds = [submission.typename(layer).rsplit(".", 1)[-1] for layer in layers]
    recurrent_class = {"lstm": "LSTM", "gru": "GRU"}[rnn_type]
    assert kinds == ["Embedding", recurrent_class, "Dense"], (
        f"expected the layers Embedding, {recurrent_class}, Dense, got {kinds}"
    )
    embedding, recurrent, dense = (layer.get_config() for layer in layers)
    assert (embedding["input_dim"], embedding["output_dim"]) == (vocab, embedding_dim), (
        f"expected Embedding({vocab}, {embedding_dim}), got "
        f"Embedding({embedding['input_dim']}, {embedding['output_dim']})"
    )
    assert recurrent["units"] == units and recurrent["return_sequences"], (
        f"the {recurrent_class} needs units={units} and return_sequences=True"
    )
    assert dense["units"] == vocab and dense["activation"] == "linear", (
        "the Dense layer must output vocab_size logits with no activation"
    )
    gates = {"lstm": 4, "gru": 3}[rnn_type]
    recurrent_params = gates * (embedding_dim * units + units**2 + units)
    recurrent_params += gates * units if rnn_type == "gru" else 0  # GRU's second bias row
    expected = vocab * embedding_dim + recurrent_params + units * vocab + vocab
    assert model.count_params() == expected, (
        f"expected {expected} parameters, got {model.count_params()}"
    )
    for shape in [(2, 7), (3, 1)]:
        ids = np.random.default_rng(0).integers(0, vocab, size=shape).astype(np.int32)
        logits = model(ids)
        assert isinstance(logits, np.ndarray) and logits.shape == (*shape, vocab), (
            f"ids of shape {shape} should give logits of shape {(*shape, vocab)}, got "
            f"{getattr(logits, 'shape', type(logits).__name__)}"
        )
        assert np.isfinite(logits).all(), "the logits must be finite"


def check_causal(submission, graded_source, vocab, time, position):
    assert_own(graded_source, "build_char_lm")
    model = submission.build_char_lm(vocab, 3, 5)
    ids = np.random.default_rng(position).integers(0, vocab, size=(1, time)).astype(np.int32)
    changed = ids.copy()
    changed[0, position] = (ids[0, position] + 1) % vocab
    before, after = model(ids), model(changed)
    np.testing.assert_allclose(
        after[0, :position], before[0, :position], atol=1e-6,
        err_msg=f"logits before position {position} must not depend on the input there")
    assert not np.allclose(after[0, position], before[0, position]), (
        "the logits must depend on the current input")


BAD_MODELS = {
    "vocab_size 1": {"vocab_size": 1},
    "units 0": {"vocab_size": 10, "units": 0},
    "rnn_type 'rnn'": {"vocab_size": 10, "rnn_type": "rnn"},
    "embedding_dim 0": {"vocab_size": 10, "embedding_dim": 0},
}


def check_model_rejects(submission, graded_source, problem):
    check_model(submission, graded_source, 4, 2, 2, "gru")
    with pytest.raises(ValueError):
        submission.build_char_lm(**BAD_MODELS[problem])
        pytest.fail(f"build_char_lm accepted {problem}; expected a ValueError")


@pytest.mark.points(3)
@pytest.mark.parametrize("rnn_type", ["lstm", "gru"])
def test_model_has_the_specified_layers(submission, graded_source, rnn_type):
    """build_char_lm: Embedding, LSTM or GRU, Dense logits; ids of any length."""
    check_model(submission, graded_source, 13, 5, 7, rnn_type)


@pytest.mark.points(3)
def test_model_is_causal(submission, graded_source):
    """build_char_lm: the logits at t depend on the inputs up to t only."""
    check_causal(submission, graded_source, 9, 8, 5)


@pytest.mark.points(1)
def test_model_rejects_bad_arguments(submission, graded_source):
    """build_char_lm raises ValueError for bad sizes or an unknown rnn_type."""
    for problem in list(BAD_MODELS)[:3]:
        check_model_rejects(submission, graded_source, problem)


# -------------------------------------------------------------------------------- generate

CHARS = "abcdefg"  # ids 4..10 after the four special ids of seqlib.data.Vocabulary
SPECIAL_IDS = 4


def successor_model(scale):
    """A model whose logits name the successor (a -> b, ..., g -> a) of the character at each
    position with weight `scale`. The padding id gets an even larger logit: a generator that
    forgets to forbid special ids samples it."""

    def predict(ids):
        count = len(CHARS)
        successor = SPECIAL_IDS + (np.asarray(ids) - SPECIAL_IDS + 1) % count
        logits = scale * np.eye(SPECIAL_IDS + count)[successor]
        logits[..., 0] = 4 / 3 * scale
        return logits.astype(np.float32)

    return predict


def uniform_logits(ids):
    return np.zeros((*np.shape(ids), SPECIAL_IDS + len(CHARS)), np.float32)


def vocabulary(submission):
    """A `seqlib.data.Vocabulary` of CHARS in the submission's process (a handle)."""
    return submission.lib("seqlib.data.Vocabulary")(CHARS)


def check_text(text, prompt, length):
    assert isinstance(text, str), f"generate must return a str, got {type(text).__name__}"
    assert len(text) == len(prompt) + length, (
        f"expected {len(prompt)} prompt + {length} new characters, got {len(text)}: {text!r}"
    )
    assert text.startswith(prompt), f"the text must start with the prompt {prompt!r}: {text!r}"


def check_successor(submission, graded_source, prompt, length, scale=30.0, temperature=1.0):
    """With logits that favour the next letter by `scale`, sampling at `temperature` (small
    enough to make it certain) continues the alphabet."""
    assert_own(graded_source, "generate")
    text = submission.generate(successor_model(scale), vocabulary(submission), prompt, length,
                               temperature=temperature, seed=0)
    check_text(text, prompt, length)
    expected = prompt
    for _ in range(length):
        expected += CHARS[(CHARS.index(expected[-1]) + 1) % len(CHARS)]
    assert text == expected, (
        f"each new character must come from the logits at the last position (special ids "
        f"forbidden): expected {expected!r}, got {text!r}"
    )


def check_reproducible(submission, graded_source, prompt, length, seed):
    assert_own(graded_source, "generate")
    vocab = vocabulary(submission)

    def text(seed):
        return submission.generate(uniform_logits, vocab, prompt, length, temperature=1.0,
                                   seed=seed)

    first, again, other = text(seed), text(seed), text(seed + 1)
    check_text(first, prompt, length)
    assert set(first) <= set(CHARS), f"special tokens leaked into the text: {first!r}"
    assert first == again, "the same seed must generate the same text"
    assert first != other, "different seeds generated the same text"
    assert len(set(first[len(prompt):])) >= 4, (
        f"a uniform model should use many characters: {first!r}")


BAD_GENERATE = {"an empty prompt": ("", 3), "a character not in the vocabulary": ("abz", 3),
                "a negative length": ("ab", -1)}


def check_generate_rejects(submission, graded_source, problem):
    check_successor(submission, graded_source, "a", 1)
    prompt, length = BAD_GENERATE[problem]
    with pytest.raises(ValueError):
        submission.generate(successor_model(30.0), vocabulary(submission), prompt, length)
        pytest.fail(f"generate accepted {problem}; expected a ValueError")


@pytest.mark.points(4)
def test_generate_follows_a_deterministic_model(submission, graded_source):
    """generate('fa', 9) with a model that always names the next letter gives 'fabcdefgabc'."""
    check_successor(submission, graded_source, "fa", 9)


@pytest.mark.points(3)
def test_generate_is_reproducible_per_seed(submission, graded_source):
    """generate: the same seed gives the same text, another seed another text."""
    check_reproducible(submission, graded_source, "ab", 30, 5)


@pytest.mark.points(1)
def test_generate_zero_characters_returns_the_prompt(submission, graded_source):
    """generate with length 0 returns the prompt."""
    check_successor(submission, graded_source, "gab", 0)


@pytest.mark.points(1)
def test_generate_rejects_bad_arguments(submission, graded_source):
    """generate raises ValueError for an empty prompt, unknown characters or length < 0."""
    for problem in BAD_GENERATE:
        check_generate_rejects(submission, graded_source, problem)
