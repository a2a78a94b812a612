"""seqlib.decoding against exhaustive search on small Markov-chain "models"."""

import itertools

import numpy as np
import pytest

from seqlib.decoding import beam_search, gnmt_length_penalty, greedy_decode

BOS, EOS = 0, 1


def markov_step_fn(table):
    """A step function over a transition table, first or second order.

    A second-order table (V, V, V) gives log p(next | token before previous, previous): the token
    before the previous one lives in the decoder state, so a decoder that gathers states from the
    wrong parent beam scores hypotheses wrongly.
    """
    log_table = np.log(table)

    def step_fn(tokens, state):
        if log_table.ndim == 2:
            return log_table[tokens], state
        return log_table[state["previous"][:, 0], tokens], {"previous": tokens[:, None].copy()}

    return step_fn


def start_state(batch):
    return {"previous": np.full((batch, 1), BOS, np.int32)}


def random_table(vocab, seed, order=1):
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.ones(vocab) * 0.7, size=(vocab,) * order)


def power_normaliser(alpha):
    return lambda length: length**alpha


def exhaustive_best(table, max_length, normaliser):
    """Best hypothesis by normalised score over every sequence the beam search may return."""
    vocab = table.shape[0]
    log_table = np.log(table)
    best_ids, best_score = None, -np.inf
    for length in range(1, max_length + 1):
        for body in itertools.product([t for t in range(vocab) if t != EOS], repeat=length - 1):
            for last in range(vocab):
                if length < max_length and last != EOS:
                    continue  # unfinished hypotheses only count when max_length is reached
                ids = (*body, last)
                history = (BOS, BOS, *ids)
                log_prob = sum(log_table[history[i : i + 3]] for i in range(length))
                score = log_prob / normaliser(length)
                if score > best_score:
                    best_ids, best_score = np.array(ids), score
    return best_ids, best_score


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("length_penalty, normaliser", [
    (0.0, power_normaliser(0.0)),
    (1.0, power_normaliser(1.0)),
    (gnmt_length_penalty(0.6), lambda length: ((5 + length) / 6) ** 0.6),
], ids=["raw", "mean", "gnmt"])
def test_wide_beam_equals_exhaustive_search(seed, length_penalty, normaliser):
    vocab, max_length = 4, 4
    table = random_table(vocab, seed, order=2)
    # A beam as wide as the number of live sequences never prunes anything.
    [hypotheses] = beam_search(
        markov_step_fn(table), start_state(1), BOS, EOS, max_length,
        beam_width=(vocab - 1) ** max_length, length_penalty=length_penalty,
    )
    ids, score = hypotheses[0]
    expected_ids, expected_score = exhaustive_best(table, max_length, normaliser)
    np.testing.assert_array_equal(ids, expected_ids)
    assert score == pytest.approx(expected_score)
    scores = [s for _, s in hypotheses]
    assert scores == sorted(scores, reverse=True)


def test_beam_search_beats_greedy_when_the_first_step_misleads():
    # From BOS, token 2 looks best (0.6) but every continuation of it is uncertain; token 3
    # (0.4) leads to EOS with certainty. Best sequence: 3, EOS with p = 0.4 > 0.6 * 0.5.
    table = np.full((4, 4), 1e-9)
    table[BOS] = [1e-9, 1e-9, 0.6, 0.4]
    table[2] = [1e-9, 0.5, 0.25, 0.25]
    table[3] = [1e-9, 1.0, 1e-9, 1e-9]
    table /= table.sum(axis=1, keepdims=True)
    greedy = greedy_decode(markov_step_fn(table), start_state(1), BOS, EOS, max_length=2)
    np.testing.assert_array_equal(greedy[0], [2, EOS])
    [hypotheses] = beam_search(
        markov_step_fn(table), start_state(1), BOS, EOS, 5, beam_width=2, length_penalty=0.0
    )
    np.testing.assert_array_equal(hypotheses[0][0], [3, EOS])
    assert hypotheses[0][1] == pytest.approx(np.log(0.4), abs=1e-6)


def test_gnmt_length_penalty_by_hand():
    # Wu et al. (2016): lp(y) = ((5 + |y|) / 6) ** alpha; lp = 1 for one token.
    lp = gnmt_length_penalty(0.6)
    assert lp(1) == pytest.approx(1.0)
    assert lp(2) == pytest.approx(1.096903, abs=1e-6)  # (7/6)^0.6 = exp(0.6 ln(7/6))
    assert lp(10) == pytest.approx(1.732862, abs=1e-6)  # (15/6)^0.6 = 2.5^0.6
    with pytest.raises(ValueError, match="alpha must be a non-negative number"):
        gnmt_length_penalty(-1.0)


def test_gnmt_normaliser_ranks_beam_hypotheses():
    # From BOS: EOS (p 0.3) or token 2 (p 0.7); after 2 only 3 (p 1), then EOS (p 1).
    # Raw log-probabilities: [EOS] -1.204 < [2, 3, EOS] -0.357.
    table = np.full((4, 4), 1e-12)
    table[BOS, [EOS, 2]] = [0.3, 0.7]
    table[2, 3] = 1.0
    table[3, EOS] = 1.0
    table /= table.sum(axis=1, keepdims=True)
    [hypotheses] = beam_search(markov_step_fn(table), start_state(1), BOS, EOS, 5, beam_width=2,
                               length_penalty=gnmt_length_penalty(1.0))
    scores = {tuple(ids.tolist()): score for ids, score in hypotheses}
    # log(0.7) / ((5 + 3) / 6) = -0.35667 / 1.33333 = -0.26750; log(0.3) / 1 = -1.20397.
    assert scores[(2, 3, EOS)] == pytest.approx(-0.26750, abs=1e-5)
    assert scores[(EOS,)] == pytest.approx(-1.20397, abs=1e-5)
    np.testing.assert_array_equal(hypotheses[0][0], [2, 3, EOS])


@pytest.mark.parametrize("length_penalty", ["gnmt", True, None])
def test_length_penalty_must_be_a_number_or_a_function(length_penalty):
    with pytest.raises(ValueError, match="length_penalty must be an exponent"):
        beam_search(markov_step_fn(random_table(3, 0)), start_state(1), BOS, EOS, 3,
                    length_penalty=length_penalty)


@pytest.mark.parametrize("seed", range(5))
def test_beam_of_width_one_is_greedy(seed):
    table = random_table(6, seed)
    batch = 3
    greedy = greedy_decode(markov_step_fn(table), start_state(batch), BOS, EOS, max_length=6)
    beams = beam_search(markov_step_fn(table), start_state(batch), BOS, EOS, 6, beam_width=1)
    for row, [(ids, _)] in zip(greedy, beams):
        np.testing.assert_array_equal(row[: len(ids)], ids)


def test_greedy_pads_after_eos_and_stops_when_all_finished():
    table = np.full((3, 3), 0.1)
    table[BOS] = [0.1, 0.2, 0.7]  # BOS -> 2
    table[2] = [0.1, 0.8, 0.1]  # 2 -> EOS
    table /= table.sum(axis=1, keepdims=True)
    ids = greedy_decode(markov_step_fn(table), None, BOS, EOS, 10,
                        pad_id=-1, batch_size=2)
    assert ids.dtype == np.int32
    np.testing.assert_array_equal(ids, [[2, EOS], [2, EOS]])


def test_batch_items_are_decoded_independently():
    tables = [random_table(5, seed) for seed in (10, 11)]

    def step_fn(tokens, state):
        item = state["item"][:, 0]
        log_probs = np.stack([np.log(tables[i][t]) for i, t in zip(item, tokens)])
        return log_probs, state

    state = {"item": np.array([[0], [1]])}
    together = beam_search(step_fn, state, BOS, EOS, 5, beam_width=3)
    for i in range(2):
        alone = beam_search(step_fn, {"item": np.array([[i]])}, BOS, EOS, 5, beam_width=3)[0]
        for (ids_a, score_a), (ids_b, score_b) in zip(together[i], alone):
            np.testing.assert_array_equal(ids_a, ids_b)
            assert score_a == pytest.approx(score_b)


def test_unfinished_hypotheses_are_returned_at_max_length():
    table = np.full((3, 3), 1e-6)
    table[:, 2] = 1.0  # never EOS
    table /= table.sum(axis=1, keepdims=True)
    [hypotheses] = beam_search(markov_step_fn(table), start_state(1), BOS, EOS, 4, beam_width=2)
    np.testing.assert_array_equal(hypotheses[0][0], [2, 2, 2, 2])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"max_length": 0}, "max_length must be a positive integer"),
        ({"max_length": 3, "beam_width": 0}, "beam_width must be a positive integer"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        beam_search(markov_step_fn(random_table(3, 0)), start_state(1), BOS, EOS, **kwargs)


def test_wrong_log_prob_shape_is_reported():
    def bad_step(tokens, state):
        return np.zeros(5), state

    with pytest.raises(ValueError, match=r"shape \(batch=2, vocab\)"):
        greedy_decode(bad_step, start_state(2), BOS, EOS, 3)


def test_state_without_arrays_needs_batch_size():
    with pytest.raises(ValueError, match="batch_size is required"):
        greedy_decode(markov_step_fn(random_table(3, 0)), None, BOS, EOS, 3)


def test_unlikely_early_eos_does_not_end_the_search():
    # Two unlikely first tokens (3, 4) end at once, and so does one branch of the likely path,
    # giving beam_width finished hypotheses at step 3 while the best one, 2 5 6 EOS, still grows.
    table = np.full((7, 7), 1e-3)
    table[BOS, [2, 3, 4]] = [0.5, 0.25, 0.25]
    table[2, 5] = 0.98
    table[5, [6, EOS]] = [0.9, 0.08]
    table[6, EOS] = 0.98
    table[[3, 4], EOS] = 0.98
    table /= table.sum(axis=1, keepdims=True)
    [hypotheses] = beam_search(markov_step_fn(table), start_state(1), BOS, EOS, 6, beam_width=3)
    np.testing.assert_array_equal(hypotheses[0][0], [2, 5, 6, EOS])
    path = [BOS, 2, 5, 6, EOS]
    log_prob = sum(np.log(table[a, b]) for a, b in zip(path, path[1:]))
    assert hypotheses[0][1] == pytest.approx(log_prob / 4)


def per_item_step_fn(tables):
    """Second-order Markov "models", one per batch item, chosen by the item index in the state."""
    log_tables = np.log(tables)

    def step_fn(tokens, state):
        log_probs = log_tables[state["item"], state["previous"], tokens]
        return log_probs, {"item": state["item"], "previous": tokens.copy()}

    return step_fn


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("beam_width, length_penalty", [(1, 1.0), (3, 0.0), (4, 1.0), (5, 0.6)])
def test_vectorised_batch_equals_items_decoded_alone(seed, beam_width, length_penalty):
    rng = np.random.default_rng(seed)
    batch, vocab, max_length = 6, 6, 7
    tables = rng.dirichlet(np.ones(vocab) * 0.5, size=(batch, vocab, vocab))
    tables[seed % batch, :, EOS] = 1e-9  # one item never ends: it runs to max_length
    tables /= tables.sum(axis=-1, keepdims=True)

    def state(items):
        return {"item": np.asarray(items), "previous": np.full(len(items), BOS)}

    step_fn = per_item_step_fn(tables)
    together = beam_search(step_fn, state(range(batch)), BOS, EOS, max_length,
                           beam_width=beam_width, length_penalty=length_penalty)
    greedy = greedy_decode(step_fn, state(range(batch)), BOS, EOS, max_length)
    for item in range(batch):
        alone = beam_search(step_fn, state([item]), BOS, EOS, max_length,
                            beam_width=beam_width, length_penalty=length_penalty)[0]
        assert len(together[item]) == len(alone)
        for (ids, score), (alone_ids, alone_score) in zip(together[item], alone):
            np.testing.assert_array_equal(ids, alone_ids)
            assert score == alone_score
        greedy_alone = greedy_decode(step_fn, state([item]), BOS, EOS, max_length)[0]
        np.testing.assert_array_equal(greedy[item, : len(greedy_alone)], greedy_alone)


def test_decoding_benchmark_smoke_run(capsys):
    # benchmarks/decoding.py --quick: trains a tiny model and times greedy and beam decoding.
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "decoding.py"
    spec = importlib.util.spec_from_file_location("decoding_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    seconds = module.main(["--quick", "--epochs", "1"])
    assert all(value > 0 for value in seconds.values())
    assert "beam / greedy" in capsys.readouterr().out
