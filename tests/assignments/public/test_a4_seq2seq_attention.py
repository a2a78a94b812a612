"""Public graded tests for assignment a4_seq2seq_attention: Luong attention, greedy decoding,
beam search and sequence metrics.

Students run these with the self-check; the hidden tests reuse the `check_*` functions on other
shapes, seeds, vocabularies and edge cases. Expected values come from the NumPy reference below,
the reference decoders in `seqlib.decoding` and `fixtures/`, all in this trusted process. The
decoders must be the student's own: graded cells that import `seqlib` (or any module but numpy,
keras and math) earn nothing on the decoding tests.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from autograder.own_work import assert_own_work
from seqlib import decoding

FIXTURES = Path(__file__).parent / "fixtures"
BOS, EOS = 0, 1
ALLOWED_MODULES = ("numpy", "keras", "math")
FORBIDDEN = {
    "LuongAttention": ("seqlib", "Attention", "AdditiveAttention", "MultiHeadAttention",
                       "BahdanauAttention", "dot_product_attention"),
    "greedy_decode": ("seqlib", "decoding"),
    "beam_search": ("seqlib", "decoding"),
}


def assert_own(graded_source, name):
    assert_own_work(graded_source, name, ALLOWED_MODULES, FORBIDDEN.get(name, ()))


# ------------------------------------------------------------------------------ references


def luong_reference(query, values, mask=None, kernel=None):
    """NumPy Luong attention: (context, weights) for a 2-D or 3-D query."""
    keys = values if kernel is None else values @ kernel
    single = query.ndim == 2
    queries = query[:, None] if single else query
    scores = np.einsum("btd,bsd->bts", queries, keys)
    if mask is not None:
        scores = np.where(mask[:, None, :], scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    context = weights @ values
    return (context[:, 0], weights[:, 0]) if single else (context, weights)


def as_array(value, shape, what):
    """A returned tensor (an ndarray once it crossed over) after checking its type and shape."""
    assert isinstance(value, np.ndarray), f"{what} must be a tensor, got {type(value).__name__}"
    assert value.shape == shape, f"{what} should have shape {shape}, got {value.shape}"
    assert np.issubdtype(value.dtype, np.floating), f"{what} must be float, got {value.dtype}"
    return value


def attention_inputs(seed, batch, source_time, query_time, value_size, query_size=None):
    """Random float32 query (2-D when query_time is None) and values."""
    rng = np.random.default_rng(seed)
    query_size = value_size if query_size is None else query_size
    shape = (batch, query_size) if query_time is None else (batch, query_time, query_size)
    query = rng.normal(size=shape).astype(np.float32)
    values = rng.normal(size=(batch, source_time, value_size)).astype(np.float32)
    return rng, query, values


def random_mask(rng, batch, source_time):
    mask = rng.random((batch, source_time)) < 0.6
    mask[:, 0] |= ~mask.any(axis=1)  # at least one real position per sequence
    return mask


def markov_step_fn(table):
    """A step function over a first-order (V, V) or second-order (V, V, V) probability table.

    A second-order table keeps the token before the previous one in the state, so a decoder
    that gathers states from the wrong parent beam scores hypotheses wrongly.
    """
    log_table = np.log(table)

    def step_fn(tokens, state):
        if log_table.ndim == 2:
            return log_table[tokens], state
        return log_table[state["previous"][:, 0], tokens], {"previous": tokens[:, None].copy()}

    return step_fn


def item_step_fn(tables):
    """A step function with one second-order (V, V, V) table per batch item, chosen by the
    state's "item" entry: a decoder that lays beams out in the wrong order, or gathers states
    from the wrong parent, scores hypotheses with another item's table."""
    log_tables = np.log(tables)

    def step_fn(tokens, state):
        log_probs = log_tables[state["item"][:, 0], state["previous"][:, 0], tokens]
        return log_probs, {**state, "previous": tokens[:, None].copy()}

    return step_fn


def item_state(batch):
    return {"item": np.arange(batch)[:, None], **start_state(batch)}


def start_state(batch):
    return {"previous": np.full((batch, 1), BOS, np.int32)}


def random_table(vocab, seed, order=2):
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.ones(vocab) * 0.7, size=(vocab,) * order)


def check_decoded(ids, shape):
    assert isinstance(ids, np.ndarray), f"expected a NumPy array, got {type(ids).__name__}"
    assert ids.dtype == np.int32, f"decoded ids must be int32, got {ids.dtype}"
    assert ids.shape == shape, f"expected decoded ids of shape {shape}, got {ids.shape}"


def check_hypotheses(result, batch, beam_width):
    assert isinstance(result, list) and len(result) == batch, (
        f"beam_search must return a list with one entry per batch item ({batch}), got "
        f"{type(result).__name__} of length {len(result) if hasattr(result, '__len__') else '?'}"
    )
    for hypotheses in result:
        assert isinstance(hypotheses, list) and 1 <= len(hypotheses) <= beam_width, (
            f"each batch item needs a list of 1..{beam_width} hypotheses, got {hypotheses!r}"
        )
        for pair in hypotheses:
            assert isinstance(pair, (tuple, list)) and len(pair) == 2, (
                f"each hypothesis is a pair (ids, score), got {pair!r}"
            )
            ids, score = pair
            assert isinstance(ids, np.ndarray) and ids.dtype == np.int32 and ids.ndim == 1, (
                f"hypothesis ids must be a 1-D int32 ndarray, got {ids!r}"
            )
            assert isinstance(score, float), f"scores must be floats, got {type(score).__name__}"


def view(hypotheses):
    return [(ids.tolist(), round(score, 6)) for ids, score in hypotheses]


def assert_same_hypotheses(result, expected, context):
    for item, (got, want) in enumerate(zip(result, expected)):
        message = f"{context}, item {item}: expected {view(want)}, got {view(got)}"
        assert len(got) == len(want), message
        for (ids, score), (want_ids, want_score) in zip(got, want):
            assert ids.tolist() == want_ids.tolist(), message
            assert score == pytest.approx(want_score), message


# ----------------------------------------------------------------------- LuongAttention


def check_attention(submission, graded_source, seed, sizes, score="dot", masked=False):
    """Attention over random inputs of sizes (batch, source_time, query_time or None,
    value_size, query_size) against the NumPy reference, with random weights for "general"."""
    assert_own(graded_source, "LuongAttention")
    batch, source_time, query_time, value_size, query_size = sizes
    rng, query, values = attention_inputs(seed, batch, source_time, query_time, value_size,
                                          query_size)
    mask = random_mask(rng, batch, source_time) if masked else None
    layer = submission.LuongAttention(score)
    first = layer(query, values, mask=mask)  # builds the kernel of "general"
    kernel = None
    if score == "general":
        shapes = [tuple(weight.shape) for weight in layer.trainable_weights]
        assert shapes == [(value_size, query.shape[-1])], (
            f"score='general' needs exactly one weight, kernel (d_v, d_q) = "
            f"{(value_size, query.shape[-1])}; got weights of shapes {shapes}"
        )
        kernel = rng.normal(size=(value_size, query.shape[-1])).astype(np.float32)
        layer.set_weights([kernel])
    else:
        assert not layer.trainable_weights, "score='dot' has no weights"
    result = layer(query, values, mask=mask) if score == "general" else first
    assert isinstance(result, (tuple, list)) and len(result) == 2, (
        "LuongAttention must return (context, weights)"
    )
    expected_context, expected_weights = luong_reference(query, values, mask, kernel)
    what = f"{score} attention, query {query.shape}, values {values.shape}" + (
        f", mask {mask.astype(int).tolist()}" if masked else "")
    weights = as_array(result[1], expected_weights.shape, f"{what}: weights")
    context = as_array(result[0], expected_context.shape, f"{what}: context")
    if masked:
        padding = ~mask if weights.ndim == 2 else np.broadcast_to(~mask[:, None], weights.shape)
        assert np.all(np.abs(weights[padding]) < 1e-7), (
            f"{what}: masked positions must get weight 0, got up to "
            f"{np.abs(weights[padding]).max():.3g}"
        )
    np.testing.assert_allclose(weights, expected_weights, rtol=1e-4, atol=1e-5,
                               err_msg=f"{what}: the attention weights are wrong")
    np.testing.assert_allclose(context, expected_context, rtol=1e-4, atol=1e-5,
                               err_msg=f"{what}: context should be the weighted sum of values")


@pytest.mark.points(3)
@pytest.mark.parametrize("query_time", [4, None], ids=["3d-query", "2d-query"])
def test_dot_attention_matches_reference(submission, graded_source, query_time):
    """LuongAttention("dot") against a NumPy reference, for a 3-D and a 2-D query."""
    check_attention(submission, graded_source, 1, (2, 5, query_time, 3, None))


@pytest.mark.points(2)
@pytest.mark.parametrize("query_time", [None, 3], ids=["2d-query", "3d-query"])
def test_general_attention_matches_reference(submission, graded_source, query_time):
    """LuongAttention("general"): one (d_v, d_q) kernel, e_j = q . (values @ kernel)_j."""
    check_attention(submission, graded_source, 2, (2, 4, query_time, 5, 3), score="general")


@pytest.mark.points(2)
@pytest.mark.parametrize("score", ["dot", "general"])
def test_masked_positions_get_zero_weight(submission, graded_source, score):
    """LuongAttention with a mask: padding gets weight exactly 0, the rest sums to 1."""
    check_attention(submission, graded_source, 3, (3, 6, 2, 4, 4), score=score, masked=True)


@pytest.mark.points(2)
def test_attention_matches_stored_reference(submission, graded_source):
    """LuongAttention("general") on the stored reference case."""
    assert_own(graded_source, "LuongAttention")
    reference = np.load(FIXTURES / "a4_attention.npz")
    inputs = (reference["query"], reference["values"])
    layer = submission.LuongAttention("general")
    layer(*inputs, mask=reference["mask"])
    layer.set_weights([reference["kernel"]])
    context, weights = layer(*inputs, mask=reference["mask"])
    where = ("the stored case in tests/assignments/public/fixtures/a4_attention.npz (np.load "
             "it: query, values, mask, kernel)")
    weights = as_array(weights, reference["weights"].shape, f"weights for {where}")
    context = as_array(context, reference["context"].shape, f"context for {where}")
    np.testing.assert_allclose(weights, reference["weights"], rtol=1e-4, atol=1e-6,
                               err_msg=f"weights for {where}")
    np.testing.assert_allclose(context, reference["context"], rtol=1e-4, atol=1e-5,
                               err_msg=f"context for {where}")


@pytest.mark.points(1)
def test_attention_config_and_functional_use(submission, graded_source):
    """LuongAttention: get_config/from_config, and use inside a functional keras.Model."""
    assert_own(graded_source, "LuongAttention")
    layer = submission.LuongAttention("general", name="luong")
    rebuilt = submission.LuongAttention.from_config(layer.get_config())
    config = rebuilt.get_config()
    assert config["score"] == "general" and config["name"] == "luong", (
        "get_config must store `score` so from_config rebuilds the same layer"
    )
    keras_input, keras_model = submission.lib("keras.Input"), submission.lib("keras.Model")
    query, values = keras_input(shape=(3, 4)), keras_input(shape=(5, 6))
    context, weights = submission.LuongAttention("general")(query, values)
    model = keras_model([query, values], [context, weights])
    outputs = model.predict_on_batch(
        [np.ones((2, 3, 4), np.float32), np.random.default_rng(0).normal(size=(2, 5, 6))]
    )
    assert [tuple(o.shape) for o in outputs] == [(2, 3, 6), (2, 3, 5)], (
        f"functional outputs should be (2, 3, 6) and (2, 3, 5), got {[o.shape for o in outputs]}"
    )
    assert model.count_params() == 24, f"expected one 6 x 4 kernel, got {model.count_params()}"


BAD_ATTENTION = {
    "unknown-score": ("cosine", (2, 4), (2, 3, 4)),
    "dot-size-mismatch": ("dot", (2, 3), (2, 5, 4)),
    "values-rank2": ("dot", (2, 4), (2, 4)),
    "query-rank4": ("dot", (2, 1, 1, 4), (2, 3, 4)),
}


def check_attention_rejects(submission, graded_source, problem):
    check_attention(submission, graded_source, 4, (1, 3, None, 2, None))
    score, query_shape, values_shape = BAD_ATTENTION[problem]
    with pytest.raises(ValueError):
        submission.LuongAttention(score)(np.zeros(query_shape, np.float32),
                                         np.zeros(values_shape, np.float32))
        pytest.fail(f"LuongAttention accepted {problem}; expected a ValueError")


@pytest.mark.points(1)
@pytest.mark.parametrize("problem", ["unknown-score", "dot-size-mismatch", "values-rank2"])
def test_attention_rejects_bad_configurations(submission, graded_source, problem):
    """LuongAttention raises ValueError for a bad score, sizes or ranks."""
    check_attention_rejects(submission, graded_source, problem)


# ----------------------------------------------------------------------- greedy_decode


def check_greedy_matches_reference(submission, graded_source, seed, vocab, batch, max_length):
    assert_own(graded_source, "greedy_decode")
    step_fn = markov_step_fn(random_table(vocab, seed))
    expected = decoding.greedy_decode(step_fn, start_state(batch), BOS, EOS, max_length, pad_id=0)
    ids = submission.greedy_decode(step_fn, start_state(batch), BOS, EOS, max_length, pad_id=0)
    check_decoded(ids, expected.shape)
    np.testing.assert_array_equal(
        ids, expected, err_msg=f"greedy decoding of a random second-order Markov chain over "
        f"{vocab} tokens, batch {batch}, max_length {max_length}: wrong tokens")


@pytest.mark.points(3)
def test_greedy_follows_a_hand_made_chain(submission, graded_source):
    """greedy_decode: item 0 walks BOS -> 4 -> 5 -> EOS, item 1 BOS -> 5 -> EOS, then pads."""
    assert_own(graded_source, "greedy_decode")
    tables = np.full((2, 6, 6), 0.02)
    tables[0, BOS, 4] = tables[0, 4, 5] = tables[0, 5, EOS] = 0.9
    tables[1, BOS, 5] = tables[1, 5, EOS] = 0.9
    log_tables = np.log(tables / tables.sum(axis=-1, keepdims=True))

    def step_fn(tokens, state):
        return log_tables[state["item"], tokens], state

    ids = submission.greedy_decode(step_fn, {"item": np.array([0, 1])}, BOS, EOS, 10, pad_id=0)
    check_decoded(ids, (2, 3))
    np.testing.assert_array_equal(ids, [[4, 5, EOS], [5, EOS, 0]],
                                  err_msg="greedy decoding took a wrong token")


def check_greedy_stops(submission, graded_source, batch, max_length, pad_id):
    """Without EOS: max_length tokens. With EOS after one token: stop, pad_id after EOS."""
    assert_own(graded_source, "greedy_decode")
    never_ends = np.full((4, 4), 0.1)
    never_ends[:, 3] = 0.9
    never_ends /= never_ends.sum(axis=1, keepdims=True)
    ids = submission.greedy_decode(markov_step_fn(never_ends), start_state(batch), BOS, EOS,
                                   max_length)
    check_decoded(ids, (batch, max_length))
    np.testing.assert_array_equal(ids, 3, err_msg="without EOS, decode max_length tokens")

    table = np.full((2, 4, 4), 0.1)
    table[0, BOS, 2] = table[0, 2, EOS] = 0.9  # item 0: 2, EOS
    table[1, BOS, EOS] = 0.9  # item 1: EOS at once, then padding
    log_table = np.log(table / table.sum(axis=-1, keepdims=True))

    def step_fn(tokens, state):
        return log_table[np.arange(len(tokens)) % 2, tokens], state

    ids = submission.greedy_decode(step_fn, None, BOS, EOS, max_length, pad_id=pad_id,
                                   batch_size=2)
    check_decoded(ids, (2, 2))
    np.testing.assert_array_equal(
        ids, [[2, EOS], [EOS, pad_id]],
        err_msg=f"record pad_id={pad_id} after EOS and stop once every row finished")


@pytest.mark.points(3)
def test_greedy_pads_after_eos_and_respects_max_length(submission, graded_source):
    """greedy_decode: pad_id after EOS, stop when all finished, else max_length tokens."""
    check_greedy_stops(submission, graded_source, 3, 5, -1)


@pytest.mark.points(2)
def test_greedy_matches_reference_decoder(submission, graded_source):
    """greedy_decode agrees with the reference decoder on a random Markov chain."""
    check_greedy_matches_reference(submission, graded_source, 0, 6, 4, 7)


def wrong_shape_step_fn(tokens, state):
    return np.zeros(5), state  # should be (batch, vocab)


@pytest.mark.points(1)
@pytest.mark.parametrize("problem", ["max_length0", "bad-log-prob-shape"])
def test_greedy_rejects_bad_arguments(submission, graded_source, problem):
    """greedy_decode raises ValueError for max_length 0 or log_probs of a wrong shape."""
    check_greedy_matches_reference(submission, graded_source, 2, 3, 2, 3)
    step_fn, max_length = {"max_length0": (markov_step_fn(random_table(3, 0)), 0),
                           "bad-log-prob-shape": (wrong_shape_step_fn, 3)}[problem]
    with pytest.raises(ValueError):
        submission.greedy_decode(step_fn, start_state(2), BOS, EOS, max_length)
        pytest.fail(f"greedy_decode accepted {problem}; expected a ValueError")


# ------------------------------------------------------------------------- beam_search


def misleading_table():
    # From BOS token 2 looks best (0.6) but every continuation of it is uncertain; token 3
    # (0.4) leads to EOS with certainty. Best sequence: 3, EOS (p = 0.4 > 0.6 * 0.5).
    table = np.full((4, 4), 1e-9)
    table[BOS] = [1e-9, 1e-9, 0.6, 0.4]
    table[2] = [1e-9, 0.5, 0.25, 0.25]
    table[3] = [1e-9, 1.0, 1e-9, 1e-9]
    return table / table.sum(axis=1, keepdims=True)


def check_beam_matches_reference(submission, graded_source, seed, vocab, batch, max_length,
                                 beam_width, length_penalty, order=2):
    assert_own(graded_source, "beam_search")
    if order == 2:  # one table per item
        tables = np.stack([random_table(vocab, seed + item) for item in range(batch)])
        step_fn, state = item_step_fn(tables), item_state(batch)
    else:
        step_fn, state = markov_step_fn(random_table(vocab, seed, order)), start_state(batch)
    args = (step_fn, state, BOS, EOS, max_length)
    kwargs = {"beam_width": beam_width, "length_penalty": length_penalty}
    expected = decoding.beam_search(*args, **kwargs)
    result = submission.beam_search(*args, **kwargs)
    check_hypotheses(result, batch, beam_width)
    assert_same_hypotheses(
        result, expected, f"random Markov chain over {vocab} tokens, batch {batch}, max_length "
        f"{max_length}, beam_width={beam_width}, length_penalty={length_penalty}")


def check_exhaustive(submission, graded_source, case):
    assert_own(graded_source, "beam_search")
    table, max_length = np.array(case["table"]), case["max_length"]
    width = (len(table) - 1) ** max_length  # never prunes a live hypothesis
    result = submission.beam_search(markov_step_fn(table), start_state(1), BOS, EOS, max_length,
                                    beam_width=width, length_penalty=case["length_penalty"])
    check_hypotheses(result, 1, width)
    ids, score = result[0][0]
    assert ids.tolist() == case["best_ids"], (
        f"the best sequence by exhaustive search is {case['best_ids']} "
        f"(score {case['best_score']:.5f}), got {ids.tolist()} (score {score:.5f})"
    )
    assert score == pytest.approx(case["best_score"]), "the best score is wrong"
    scores = [s for _, s in result[0]]
    assert scores == sorted(scores, reverse=True), "hypotheses must be sorted best first"


@pytest.mark.points(3)
def test_beam_search_beats_greedy_when_the_first_step_misleads(submission, graded_source):
    """beam_search finds [3, EOS] (p = 0.4) where greedy takes 2 (p = 0.6) first."""
    assert_own(graded_source, "beam_search")
    step_fn = markov_step_fn(misleading_table())
    for length_penalty in (0.0, 1.0):
        result = submission.beam_search(step_fn, start_state(1), BOS, EOS, 5, beam_width=2,
                                        length_penalty=length_penalty)
        check_hypotheses(result, 1, 2)
        ids, score = result[0][0]
        assert ids.tolist() == [3, EOS], (
            f"length_penalty={length_penalty}: beam search should find [3, EOS] "
            f"(p = 0.4 > 0.6 * 0.5), got {ids.tolist()}"
        )
        assert score == pytest.approx(np.log(0.4) / 2**length_penalty, abs=1e-6), (
            f"score of [3, EOS] should be log(0.4) / 2 ** {length_penalty}, got {score}"
        )


@pytest.mark.points(3)
def test_wide_beam_equals_exhaustive_search(submission, graded_source):
    """beam_search with a beam wide enough to keep everything finds the exhaustive best."""
    check_exhaustive(submission, graded_source,
                     json.loads((FIXTURES / "a4_beam.json").read_text())["cases"][0])


@pytest.mark.points(3)
@pytest.mark.parametrize("beam_width, length_penalty", [(2, 0.0), (3, 0.6)])
def test_beam_search_matches_reference_decoder(submission, graded_source, beam_width,
                                               length_penalty):
    """beam_search returns the reference decoder's whole list of hypotheses and scores."""
    check_beam_matches_reference(submission, graded_source, 10 + beam_width, 6, 3, 6, beam_width,
                                 length_penalty)


def check_width_one_is_greedy(submission, graded_source, seed, vocab, batch, max_length):
    assert_own(graded_source, "beam_search")
    table = random_table(vocab, seed, order=1)
    step_fn = markov_step_fn(table)
    greedy = decoding.greedy_decode(step_fn, start_state(batch), BOS, EOS, max_length)
    result = submission.beam_search(step_fn, start_state(batch), BOS, EOS, max_length,
                                    beam_width=1)
    check_hypotheses(result, batch, 1)
    for row, [(ids, _)] in zip(greedy, result):
        assert ids.tolist() == row[: len(ids)].tolist(), (
            f"a beam of width 1 must follow greedy decoding {row.tolist()}, got {ids.tolist()}"
        )


@pytest.mark.points(2)
def test_beam_of_width_one_is_greedy(submission, graded_source):
    """beam_search with beam_width=1 follows greedy decoding."""
    check_width_one_is_greedy(submission, graded_source, 20, 5, 3, 6)


def check_unfinished(submission, graded_source, max_length, length_penalty):
    assert_own(graded_source, "beam_search")
    table = np.full((3, 3), 1e-6)
    table[:, 2] = 1.0  # never EOS
    table /= table.sum(axis=1, keepdims=True)
    result = submission.beam_search(markov_step_fn(table), start_state(1), BOS, EOS, max_length,
                                    beam_width=2, length_penalty=length_penalty)
    check_hypotheses(result, 1, 2)
    ids, score = result[0][0]
    assert ids.tolist() == [2] * max_length, (
        f"expected the live beam {[2] * max_length}, got {ids.tolist()}"
    )
    expected = max_length * np.log(table[0, 2]) / max_length**length_penalty
    assert score == pytest.approx(expected), "normalise live beams by their length"


@pytest.mark.points(1)
def test_unfinished_hypotheses_are_returned_at_max_length(submission, graded_source):
    """beam_search returns live beams, normalised by length, when max_length is reached."""
    check_unfinished(submission, graded_source, 4, 1.0)


@pytest.mark.points(1)
@pytest.mark.parametrize("kwargs", [{"max_length": 0}, {"max_length": 3, "beam_width": 0}],
                         ids=["max_length0", "beam_width0"])
def test_beam_search_rejects_bad_arguments(submission, graded_source, kwargs):
    """beam_search raises ValueError for max_length 0 or beam_width 0."""
    check_beam_matches_reference(submission, graded_source, 0, 3, 1, 2, 2, 1.0)
    with pytest.raises(ValueError):
        submission.beam_search(markov_step_fn(random_table(3, 0)), start_state(1), BOS, EOS,
                               **kwargs)
        pytest.fail(f"beam_search accepted {kwargs}; expected a ValueError")


# ----------------------------------------------------------------------------- metrics

EOS_ID = 2


def check_metric(submission, metric, pred, target, expected, eos_id=EOS_ID):
    result = getattr(submission, metric)(np.array(pred), np.array(target), eos_id)
    assert isinstance(result, float), f"{metric} must return a float, got {type(result).__name__}"
    assert result == pytest.approx(expected), (
        f"{metric}(pred={pred}, target={target}, eos_id={eos_id}) should be {expected:.4f}, "
        f"got {result}"
    )


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "pred, target, expected",
    [
        ([[5, 6, 2, 0]], [[5, 6, 2]], 1.0),  # wider prediction, padding after EOS
        ([[5, 6, 2, 9, 9]], [[5, 6, 2, 0, 0]], 1.0),  # garbage after EOS is ignored
        ([[5, 6, 2, 0]], [[5, 7, 2, 0]], 0.0),
        ([[5, 6, 0, 0]], [[5, 6, 2, 0]], 0.0),  # the prediction never ends
        ([[5, 2, 6]], [[5, 6, 2]], 0.0),  # ends too early
        ([[5, 6, 2], [4, 2, 0], [4, 4, 2], [7, 2, 0]],
         [[5, 6, 2], [4, 2, 0], [4, 2, 0], [7, 2, 2]], 0.75),  # the fraction of matching rows
    ],
    ids=["wider", "garbage-after-eos", "wrong-token", "never-ends", "ends-early", "rows"],
)
def test_exact_match_compares_up_to_the_first_eos(submission, pred, target, expected):
    """exact_match compares each row up to and including its first EOS."""
    check_metric(submission, "exact_match", pred, target, expected)


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "pred, target, expected",
    [
        ([[5, 6, 2, 0]], [[5, 7, 2]], 2 / 3),  # the example of the text
        ([[5, 6, 2, 9]], [[5, 6, 2, 0]], 1.0),  # positions after the target's EOS do not count
        ([[5, 2, 6, 2]], [[5, 6, 6, 2]], 1 / 4),  # nothing matches after the prediction's EOS
        ([[5, 6]], [[5, 6, 4, 2]], 2 / 4),  # positions beyond the prediction's width
        ([[5, 2], [4, 4]], [[5, 2], [4, 3]], 3 / 4),  # micro-average over all target tokens
    ],
    ids=["example", "after-target-eos", "after-pred-eos", "short-pred", "micro-average"],
)
def test_token_accuracy_counts_target_tokens_up_to_eos(submission, pred, target, expected):
    """token_accuracy counts target tokens up to each first EOS."""
    check_metric(submission, "token_accuracy", pred, target, expected)


BAD_METRIC_INPUTS = {
    "a 1-D prediction": ([5, 2], [[5, 2]]),
    "different row counts": ([[5, 2], [4, 2]], [[5, 2]]),
    "float ids": ([[5.0, 2.0]], [[5, 2]]),
}


def check_metric_rejects(submission, metric, problem):
    check_metric(submission, metric, [[5, 2]], [[5, 2]], 1.0)
    pred, target = (np.array(ids) for ids in BAD_METRIC_INPUTS[problem])
    with pytest.raises(ValueError):
        getattr(submission, metric)(pred, target, EOS_ID)
        pytest.fail(f"{metric} accepted {problem}; expected a ValueError")


@pytest.mark.points(1)
@pytest.mark.parametrize("metric", ["exact_match", "token_accuracy"])
def test_metrics_reject_bad_input(submission, metric):
    """The metrics raise ValueError for a 1-D array or different row counts."""
    for problem in ("a 1-D prediction", "different row counts"):
        check_metric_rejects(submission, metric, problem)
