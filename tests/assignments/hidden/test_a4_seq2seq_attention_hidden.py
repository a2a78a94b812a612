"""Hidden graded tests for assignment a4_seq2seq_attention: the public checks on other shapes,
vocabularies, seeds and edge cases (one source position, a batch of one, beams wider than the
vocabulary, other EOS ids), and beam search against a brute-force search over every sequence.
Never shipped to students; a failure names no input.
"""

import itertools
import sys
from pathlib import Path

import numpy as np
import pytest
from hidden_case import cases, concealed

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "public"))
from test_a4_seq2seq_attention import (  # noqa: E402
    BOS,
    EOS,
    assert_own,
    check_attention,
    check_attention_rejects,
    check_beam_matches_reference,
    check_exhaustive,
    check_greedy_matches_reference,
    check_greedy_stops,
    check_metric,
    check_metric_rejects,
    check_unfinished,
    check_width_one_is_greedy,
    markov_step_fn,
    start_state,
)


def brute_force_best(table, max_length, length_penalty):
    """The best hypothesis of a second-order Markov chain over every token sequence: those
    ending at their first EOS and those cut at max_length, ranked by normalised score."""
    log_table = np.log(table)
    best = None
    others = [token for token in range(len(table)) if token != EOS]
    for length in range(1, max_length + 1):
        endings = [EOS] + (others if length == max_length else [])
        for prefix in itertools.product(others, repeat=length - 1):
            for last in endings:
                ids = [*prefix, last]
                history = [BOS, BOS, *ids]
                log_prob = sum(log_table[history[i], history[i + 1], history[i + 2]]
                               for i in range(length))
                score = log_prob / length**length_penalty
                if best is None or score > best[1]:
                    best = (ids, score)
    return best


@pytest.mark.points(2)
@cases(
    "seed, sizes, score, masked",
    [(201, (1, 1, 2, 3, None), "dot", False), (202, (4, 7, None, 2, 5), "general", False),
     (203, (2, 5, None, 3, None), "dot", True), (204, (3, 4, 3, 2, 6), "general", True)],
)
def test_attention_other_shapes(submission, graded_source, seed, sizes, score, masked):
    """LuongAttention on other shapes, with and without masks."""
    with concealed():
        check_attention(submission, graded_source, seed, sizes, score, masked)


@pytest.mark.points(2)
@cases("problem", ["query-rank4", "values-rank2"])
def test_attention_rejects_other_configurations(submission, graded_source, problem):
    """LuongAttention rejects other bad ranks."""
    with concealed():
        check_attention_rejects(submission, graded_source, problem)


@pytest.mark.points(2)
@cases("seed, vocab, batch, max_length", [(211, 9, 5, 12), (212, 3, 1, 4)])
def test_greedy_other_chains(submission, graded_source, seed, vocab, batch, max_length):
    """greedy_decode agrees with the reference decoder on other Markov chains."""
    with concealed():
        check_greedy_matches_reference(submission, graded_source, seed, vocab, batch,
                                       max_length)


@pytest.mark.points(2)
@cases("batch, max_length, pad_id", [(1, 3, 7), (4, 8, 0)])
def test_greedy_stops_and_pads_other_cases(submission, graded_source, batch, max_length, pad_id):
    """greedy_decode pads after EOS and stops, in other cases."""
    with concealed():
        check_greedy_stops(submission, graded_source, batch, max_length, pad_id)


@pytest.mark.points(2)
@cases(
    "seed, vocab, batch, max_length, beam_width, length_penalty, order",
    [(221, 5, 2, 7, 4, 1.0, 2), (222, 7, 1, 5, 9, 0.5, 2), (223, 4, 4, 6, 2, 0.0, 1)],
)
def test_beam_search_other_chains(submission, graded_source, seed, vocab, batch, max_length,
                                  beam_width, length_penalty, order):
    """beam_search returns the reference decoder's hypotheses on other Markov chains."""
    with concealed():
        check_beam_matches_reference(submission, graded_source, seed, vocab, batch, max_length,
                                     beam_width, length_penalty, order)


@pytest.mark.points(2)
@cases("seed, vocab, max_length, length_penalty", [(231, 4, 3, 0.0), (232, 4, 3, 1.0)])
def test_wide_beam_equals_brute_force(submission, graded_source, seed, vocab, max_length,
                                      length_penalty):
    """beam_search with a beam wide enough to keep everything finds the brute-force best."""
    table = np.random.default_rng(seed).dirichlet(np.ones(vocab) * 0.5, size=(vocab, vocab))
    best_ids, best_score = brute_force_best(table, max_length, length_penalty)
    case = {"table": table, "max_length": max_length, "length_penalty": length_penalty,
            "best_ids": best_ids, "best_score": best_score}
    with concealed():
        check_exhaustive(submission, graded_source, case)


@pytest.mark.points(2)
def test_beam_width_one_and_unfinished_other_cases(submission, graded_source):
    """beam_search: width one follows greedy; live beams are normalised at max_length."""
    with concealed():
        check_width_one_is_greedy(submission, graded_source, 241, 6, 2, 5)
        check_unfinished(submission, graded_source, 3, 0.5)


@pytest.mark.points(2)
def test_beam_search_returns_at_most_beam_width_per_item(submission, graded_source):
    """beam_search returns at most beam_width hypotheses per item, best first."""
    assert_own(graded_source, "beam_search")
    table = np.random.default_rng(251).dirichlet(np.ones(5), size=(5, 5))
    with concealed():
        result = submission.beam_search(markov_step_fn(table), start_state(3), BOS, EOS, 6,
                                        beam_width=3)
        assert isinstance(result, list) and len(result) == 3
        for hypotheses in result:
            scores = [score for _, score in hypotheses]
            assert 1 <= len(hypotheses) <= 3 and scores == sorted(scores, reverse=True)


@pytest.mark.points(1)
@cases("pred, target, eos_id, expected",
       [([[3, 7, 0], [3, 3, 7]], [[3, 7, 7], [3, 4, 7]], 7, 0.5),
        ([[4, 5]], [[4, 5]], 2, 1.0)])  # neither ends: compared whole
def test_exact_match_other_cases(submission, pred, target, eos_id, expected):
    """exact_match on other cases and EOS ids."""
    with concealed():
        check_metric(submission, "exact_match", pred, target, expected, eos_id)


@pytest.mark.points(1)
@cases("pred, target, eos_id, expected",
       [([[3, 3, 7, 1]], [[3, 4, 4, 7]], 7, 0.25),
        ([[9, 2, 2], [2, 2, 2]], [[9, 8, 2], [2, 0, 0]], 2, 2 / 4)])
def test_token_accuracy_other_cases(submission, pred, target, eos_id, expected):
    """token_accuracy on other cases and EOS ids."""
    with concealed():
        check_metric(submission, "token_accuracy", pred, target, expected, eos_id)


@pytest.mark.points(1)
@pytest.mark.parametrize("metric", ["exact_match", "token_accuracy"])
def test_metrics_reject_float_ids(submission, metric):
    """The metrics reject arrays that are not integer ids."""
    with concealed():
        check_metric_rejects(submission, metric, "float ids")
