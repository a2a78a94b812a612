"""Graded tests for assignment 4, seq2seq with Luong attention and beam search (100 points)."""

import json
from pathlib import Path

import keras
import numpy as np
import pytest

from seqlib import decoding

FIXTURES = Path(__file__).parent / "fixtures"
BOS, EOS = 0, 1


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


def as_array(tensor, shape, what):
    """The NumPy value of a backend tensor, after checking its type and shape."""
    assert keras.ops.is_tensor(tensor) or isinstance(tensor, np.ndarray), (
        f"{what} must be a tensor, got {type(tensor).__name__}"
    )
    array = keras.ops.convert_to_numpy(tensor)
    assert array.shape == shape, f"{what} should have shape {shape}, got {array.shape}"
    assert np.issubdtype(array.dtype, np.floating), f"{what} must be float, got {array.dtype}"
    return array


def random_attention_inputs(seed, query_rank, query_size=None):
    rng = np.random.default_rng(seed)
    batch, source_time, query_time = rng.integers(1, 4), rng.integers(2, 7), rng.integers(1, 5)
    value_size = int(rng.integers(2, 6))
    query_size = value_size if query_size is None else query_size
    query_shape = (batch, query_size) if query_rank == 2 else (batch, query_time, query_size)
    query = rng.normal(size=query_shape).astype(np.float32)
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
        f"beam_search must return a list with one entry per batch item ({batch}), got {result!r}"
    )
    for hypotheses in result:
        assert isinstance(hypotheses, list) and 1 <= len(hypotheses) <= beam_width, (
            f"each batch item needs a list of 1..{beam_width} hypotheses, got {hypotheses!r}"
        )
        for pair in hypotheses:
            ids, score = pair
            assert isinstance(ids, np.ndarray) and ids.dtype == np.int32 and ids.ndim == 1, (
                f"hypothesis ids must be a 1-D int32 ndarray, got {ids!r}"
            )
            assert isinstance(score, float), f"scores must be floats, got {type(score)}"


def assert_same_hypotheses(result, expected, context):
    for item, (got, want) in enumerate(zip(result, expected)):
        got_view = [(ids.tolist(), round(score, 6)) for ids, score in got]
        want_view = [(ids.tolist(), round(score, 6)) for ids, score in want]
        message = f"{context}, item {item}: expected {want_view}, got {got_view}"
        assert len(got) == len(want), message
        for (ids, score), (want_ids, want_score) in zip(got, want):
            assert ids.tolist() == want_ids.tolist(), message
            assert score == pytest.approx(want_score), message


# ----------------------------------------------------------------------- LuongAttention (35)


@pytest.mark.points(5)
@pytest.mark.parametrize("seed, query_rank", [(0, 3), (1, 2)])
def test_dot_attention_matches_reference(submission, seed, query_rank):
    _, query, values = random_attention_inputs(seed, query_rank)
    layer = submission.LuongAttention("dot")
    context, weights = layer(query, values)
    expected_context, expected_weights = luong_reference(query, values)
    weights = as_array(weights, expected_weights.shape, "weights")
    context = as_array(context, expected_context.shape, "context")
    np.testing.assert_allclose(weights, expected_weights, rtol=1e-5, atol=1e-6,
                               err_msg="dot-product attention weights are wrong")
    np.testing.assert_allclose(context, expected_context, rtol=1e-5, atol=1e-5,
                               err_msg="context should be the weighted sum of the values")
    assert not layer.trainable_weights, "score='dot' has no weights"


@pytest.mark.points(4)
@pytest.mark.parametrize("seed, query_rank", [(2, 2), (3, 3)])
def test_general_attention_matches_reference(submission, seed, query_rank):
    rng, query, values = random_attention_inputs(seed, query_rank, query_size=3)
    layer = submission.LuongAttention("general")
    layer(query, values)  # builds the kernel
    value_size = values.shape[-1]
    shapes = [tuple(weight.shape) for weight in layer.trainable_weights]
    assert shapes == [(value_size, 3)], (
        f"score='general' needs exactly one weight, kernel (d_v, d_q) = {(value_size, 3)}; "
        f"got weights of shapes {shapes}"
    )
    kernel = rng.normal(size=(value_size, 3)).astype(np.float32)
    layer.set_weights([kernel])
    context, weights = layer(query, values)
    expected_context, expected_weights = luong_reference(query, values, kernel=kernel)
    weights = as_array(weights, expected_weights.shape, "weights")
    context = as_array(context, expected_context.shape, "context")
    np.testing.assert_allclose(weights, expected_weights, rtol=1e-4, atol=1e-5,
                               err_msg="general attention weights: e_j = q . (values @ kernel)_j")
    np.testing.assert_allclose(context, expected_context, rtol=1e-4, atol=1e-5)


@pytest.mark.points(4)
@pytest.mark.parametrize("seed, score", [(4, "dot"), (5, "general")])
def test_masked_positions_get_zero_weight(submission, seed, score):
    rng, query, values = random_attention_inputs(seed, 3, query_size=None)
    mask = random_mask(rng, values.shape[0], values.shape[1])
    layer = submission.LuongAttention(score)
    context, weights = layer(query, values, mask=mask)
    kernel = layer.get_weights()[0] if score == "general" else None
    expected_context, expected_weights = luong_reference(query, values, mask, kernel)
    weights = as_array(weights, expected_weights.shape, "weights")
    masked = np.broadcast_to(~mask[:, None, :], weights.shape)
    assert np.all(np.abs(weights[masked]) < 1e-7), (
        f"masked positions must get weight 0, got weights up to {np.abs(weights[masked]).max()}"
    )
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=1e-5,
                               err_msg="the weights of each query must sum to 1")
    np.testing.assert_allclose(weights, expected_weights, rtol=1e-4, atol=1e-5)
    context = as_array(context, expected_context.shape, "context")
    np.testing.assert_allclose(context, expected_context, rtol=1e-4, atol=1e-5)


@pytest.mark.points(3)
def test_attention_matches_stored_reference(submission):
    reference = np.load(FIXTURES / "a4_attention.npz")
    layer = submission.LuongAttention("general")
    layer(reference["query"], reference["values"], mask=reference["mask"])
    layer.set_weights([reference["kernel"]])
    context, weights = layer(reference["query"], reference["values"], mask=reference["mask"])
    weights = as_array(weights, reference["weights"].shape, "weights")
    context = as_array(context, reference["context"].shape, "context")
    np.testing.assert_allclose(weights, reference["weights"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(context, reference["context"], rtol=1e-4, atol=1e-5)


@pytest.mark.points(3)
def test_attention_config_and_functional_use(submission):
    layer = submission.LuongAttention("general", name="luong")
    rebuilt = submission.LuongAttention.from_config(layer.get_config())
    assert rebuilt.get_config()["score"] == "general" and rebuilt.name == "luong", (
        "get_config must store `score` so from_config rebuilds the same layer"
    )
    # Inside a functional model the gradient must reach the kernel.
    query = keras.Input(shape=(3, 4))
    values = keras.Input(shape=(5, 6))
    context, weights = submission.LuongAttention("general")(query, values)
    model = keras.Model([query, values], [context, weights])
    outputs = model.predict_on_batch(
        [np.ones((2, 3, 4), np.float32), np.random.default_rng(0).normal(size=(2, 5, 6))]
    )
    assert [tuple(o.shape) for o in outputs] == [(2, 3, 6), (2, 3, 5)], (
        f"functional outputs should be (2, 3, 6) and (2, 3, 5), got {[o.shape for o in outputs]}"
    )
    assert model.count_params() == 24, f"expected one 6 x 4 kernel, got {model.count_params()}"


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "score, query_shape, values_shape",
    [("cosine", (2, 4), (2, 3, 4)), ("dot", (2, 3), (2, 5, 4)), ("dot", (2, 4), (2, 4))],
    ids=["unknown-score", "dot-size-mismatch", "values-rank2"],
)
def test_attention_rejects_bad_configurations(submission, score, query_shape, values_shape):
    with pytest.raises(ValueError):
        submission.LuongAttention(score)(np.zeros(query_shape, np.float32),
                                         np.zeros(values_shape, np.float32))
    context, _ = submission.LuongAttention("dot")(np.ones((1, 2), np.float32),
                                                  np.ones((1, 3, 2), np.float32))
    as_array(context, (1, 2), "context")


# ----------------------------------------------------------------------- greedy_decode (15)


@pytest.mark.points(5)
def test_greedy_follows_a_hand_made_chain(submission):
    # Item 0 walks BOS -> 4 -> 5 -> EOS; item 1 walks BOS -> 5 -> EOS and then pads.
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


@pytest.mark.points(4)
def test_greedy_pads_after_eos_and_respects_max_length(submission):
    table = np.full((4, 4), 0.1)
    table[BOS, 2] = table[2, EOS] = 0.9
    step_fn = markov_step_fn(table / table.sum(axis=1, keepdims=True))
    ids = submission.greedy_decode(step_fn, None, BOS, EOS, 10, pad_id=-1, batch_size=2)
    check_decoded(ids, (2, 2))
    np.testing.assert_array_equal(ids, [[2, EOS], [2, EOS]], err_msg="stop once all finished")

    never_ends = np.full((4, 4), 0.1)
    never_ends[:, 3] = 0.9
    ids = submission.greedy_decode(markov_step_fn(never_ends / never_ends.sum(axis=1,
                                                                              keepdims=True)),
                                   start_state(3), BOS, EOS, 5)
    check_decoded(ids, (3, 5))
    np.testing.assert_array_equal(ids, 3, err_msg="without EOS, decode max_length tokens")


@pytest.mark.points(2)
@pytest.mark.parametrize("seed", [0, 1])
def test_greedy_matches_reference_decoder(submission, seed):
    step_fn = markov_step_fn(random_table(6, seed))
    expected = decoding.greedy_decode(step_fn, start_state(4), BOS, EOS, 7, pad_id=0)
    ids = submission.greedy_decode(step_fn, start_state(4), BOS, EOS, 7, pad_id=0)
    check_decoded(ids, expected.shape)
    np.testing.assert_array_equal(ids, expected, err_msg="differs from seqlib.decoding")


def wrong_shape_step_fn(tokens, state):
    return np.zeros(5), state  # should be (batch, vocab)


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "step_fn, max_length",
    [(markov_step_fn(random_table(3, 0)), 0), (wrong_shape_step_fn, 3)],
    ids=["max_length0", "bad-log-prob-shape"],
)
def test_greedy_rejects_bad_arguments(submission, step_fn, max_length):
    with pytest.raises(ValueError):
        submission.greedy_decode(step_fn, start_state(2), BOS, EOS, max_length)
    valid_step_fn = markov_step_fn(random_table(3, 0))
    check_decoded(submission.greedy_decode(valid_step_fn, start_state(2), BOS, EOS, 1), (2, 1))


# ------------------------------------------------------------------------- beam_search (30)


def misleading_table():
    # From BOS token 2 looks best (0.6) but every continuation of it is uncertain; token 3
    # (0.4) leads to EOS with certainty. Best sequence: 3, EOS (p = 0.4 > 0.6 * 0.5).
    table = np.full((4, 4), 1e-9)
    table[BOS] = [1e-9, 1e-9, 0.6, 0.4]
    table[2] = [1e-9, 0.5, 0.25, 0.25]
    table[3] = [1e-9, 1.0, 1e-9, 1e-9]
    return table / table.sum(axis=1, keepdims=True)


@pytest.mark.points(6)
def test_beam_search_beats_greedy_when_the_first_step_misleads(submission):
    step_fn = markov_step_fn(misleading_table())
    greedy = submission.greedy_decode(step_fn, start_state(1), BOS, EOS, 2)
    check_decoded(greedy, (1, 2))
    np.testing.assert_array_equal(greedy, [[2, EOS]], err_msg="greedy should take 2 first")
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


@pytest.mark.points(4)
@pytest.mark.parametrize("case", range(2))
def test_wide_beam_equals_exhaustive_search(submission, case):
    reference = json.loads((FIXTURES / "a4_beam.json").read_text())["cases"][case]
    table, max_length = np.array(reference["table"]), reference["max_length"]
    width = (len(table) - 1) ** max_length  # never prunes a live hypothesis
    result = submission.beam_search(markov_step_fn(table), start_state(1), BOS, EOS, max_length,
                                    beam_width=width, length_penalty=reference["length_penalty"])
    check_hypotheses(result, 1, width)
    ids, score = result[0][0]
    assert ids.tolist() == reference["best_ids"], (
        f"the best sequence by exhaustive search is {reference['best_ids']} "
        f"(score {reference['best_score']:.5f}), got {ids.tolist()} (score {score:.5f})"
    )
    assert score == pytest.approx(reference["best_score"])
    scores = [s for _, s in result[0]]
    assert scores == sorted(scores, reverse=True), "hypotheses must be sorted best first"


@pytest.mark.points(3)
@pytest.mark.parametrize(
    "seed, beam_width, length_penalty", [(10, 2, 0.0), (11, 3, 0.6), (12, 5, 1.0)]
)
def test_beam_search_matches_reference_decoder(submission, seed, beam_width, length_penalty):
    step_fn = markov_step_fn(random_table(6, seed))
    args = (step_fn, start_state(3), BOS, EOS, 6)
    kwargs = {"beam_width": beam_width, "length_penalty": length_penalty}
    expected = decoding.beam_search(*args, **kwargs)
    result = submission.beam_search(*args, **kwargs)
    check_hypotheses(result, 3, beam_width)
    assert_same_hypotheses(result, expected, f"beam_width={beam_width}, alpha={length_penalty}")


@pytest.mark.points(3)
def test_beam_of_width_one_is_greedy(submission):
    step_fn = markov_step_fn(random_table(5, 20, order=1))
    greedy = submission.greedy_decode(step_fn, start_state(3), BOS, EOS, 6)
    result = submission.beam_search(step_fn, start_state(3), BOS, EOS, 6, beam_width=1)
    check_hypotheses(result, 3, 1)
    for row, [(ids, _)] in zip(greedy, result):
        assert ids.tolist() == row[: len(ids)].tolist(), (
            f"a beam of width 1 must follow greedy decoding {row.tolist()}, got {ids.tolist()}"
        )


@pytest.mark.points(2)
def test_unfinished_hypotheses_are_returned_at_max_length(submission):
    table = np.full((3, 3), 1e-6)
    table[:, 2] = 1.0  # never EOS
    table /= table.sum(axis=1, keepdims=True)
    result = submission.beam_search(markov_step_fn(table), start_state(1), BOS, EOS, 4,
                                    beam_width=2, length_penalty=1.0)
    check_hypotheses(result, 1, 2)
    ids, score = result[0][0]
    assert ids.tolist() == [2, 2, 2, 2], f"expected the live beam [2, 2, 2, 2], got {ids.tolist()}"
    assert score == pytest.approx(4 * np.log(table[0, 2]) / 4), "normalise live beams by length"


@pytest.mark.points(1)
@pytest.mark.parametrize("kwargs", [{"max_length": 0}, {"max_length": 3, "beam_width": 0}],
                         ids=["max_length0", "beam_width0"])
def test_beam_search_rejects_bad_arguments(submission, kwargs):
    step_fn = markov_step_fn(random_table(3, 0))
    with pytest.raises(ValueError):
        submission.beam_search(step_fn, start_state(1), BOS, EOS, **kwargs)
    check_hypotheses(submission.beam_search(step_fn, start_state(1), BOS, EOS, 2, 2), 1, 2)


# ----------------------------------------------------------------------------- metrics (20)

EOS_ID = 2


@pytest.mark.points(8)
def test_exact_match_compares_up_to_the_first_eos(submission):
    cases = [  # (predictions, targets, expected exact match)
        ([[5, 6, 2, 0]], [[5, 6, 2]], 1.0),  # wider prediction, padding after EOS
        ([[5, 6, 2, 9, 9]], [[5, 6, 2, 0, 0]], 1.0),  # garbage after EOS is ignored
        ([[5, 6, 2, 0]], [[5, 7, 2, 0]], 0.0),
        ([[5, 6, 0, 0]], [[5, 6, 2, 0]], 0.0),  # the prediction never ends
        ([[5, 6]], [[5, 6, 2]], 0.0),  # cut off at max_length
        ([[5, 2, 6]], [[5, 6, 2]], 0.0),  # ends too early
        ([[5, 6, 2], [4, 2, 0], [4, 4, 2], [7, 2, 0]], [[5, 6, 2], [4, 2, 0], [4, 2, 0], [7, 2, 2]],
         0.75),
    ]
    for pred, target, expected in cases:
        result = submission.exact_match(np.array(pred), np.array(target), EOS_ID)
        assert isinstance(result, float), f"exact_match must return a float, got {type(result)}"
        assert result == pytest.approx(expected), (
            f"exact_match(pred={pred}, target={target}, eos_id=2) should be {expected}, "
            f"got {result}"
        )


@pytest.mark.points(8)
def test_token_accuracy_counts_target_tokens_up_to_eos(submission):
    cases = [  # (predictions, targets, expected token accuracy)
        ([[5, 6, 2, 0]], [[5, 7, 2]], 2 / 3),  # the docstring example
        ([[5, 6, 2, 9]], [[5, 6, 2, 0]], 1.0),  # positions after the target's EOS do not count
        ([[5, 2, 6, 2]], [[5, 6, 6, 2]], 1 / 4),  # nothing matches after the prediction's EOS
        ([[5, 6]], [[5, 6, 4, 2]], 2 / 4),  # positions beyond the prediction's width
        ([[3, 3, 3, 3]], [[2, 0, 0, 0]], 0.0),
        ([[5, 2], [4, 4]], [[5, 2], [4, 3]], 3 / 4),  # micro-average over all target tokens
        ([[5, 6, 2], [9, 2, 0]], [[5, 6, 7, 8, 2], [9, 2, 0, 0, 0]], 4 / 7),
    ]
    for pred, target, expected in cases:
        result = submission.token_accuracy(np.array(pred), np.array(target), EOS_ID)
        assert isinstance(result, float), f"token_accuracy must return a float, got {type(result)}"
        assert result == pytest.approx(expected), (
            f"token_accuracy(pred={pred}, target={target}, eos_id=2) should be {expected:.4f}, "
            f"got {result}"
        )


@pytest.mark.points(1)
@pytest.mark.parametrize("metric", ["exact_match", "token_accuracy"])
@pytest.mark.parametrize(
    "pred, target",
    [
        (np.array([5, 2]), np.array([[5, 2]])),  # 1-D prediction
        (np.array([[5, 2], [4, 2]]), np.array([[5, 2]])),  # row counts differ
    ],
    ids=["rank1", "row-mismatch"],
)
def test_metrics_reject_bad_input(submission, metric, pred, target):
    with pytest.raises(ValueError):
        getattr(submission, metric)(pred, target, EOS_ID)
    assert getattr(submission, metric)(np.array([[5, 2]]), np.array([[5, 2]]), EOS_ID) == 1.0
