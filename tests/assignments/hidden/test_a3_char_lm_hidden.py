"""Hidden graded tests for assignment a3_char_lm: the public checks on other shapes, seeds and
edge cases (window 1, exactly one window, one row, large logits). Never shipped to students; a
failure names no input.
"""

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from hidden_case import cases, concealed

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "public"))
from test_a3_char_lm import (  # noqa: E402
    BAD_GENERATE,
    BAD_METRICS,
    BAD_MODELS,
    BAD_SAMPLING,
    BAD_WINDOWS,
    check_causal,
    check_cold,
    check_generate_rejects,
    check_mean_nll,
    check_metrics_reject,
    check_model,
    check_model_rejects,
    check_perplexity_and_bits,
    check_reproducible,
    check_rng_used,
    check_sampling,
    check_sampling_rejects,
    check_shuffle,
    check_successor,
    check_windows,
    check_windows_reject,
)


@pytest.mark.points(2)
@cases("length, window, batch_size", [(9, 1, 4), (6, 5, 2), (50, 7, 1), (31, 3, 10)])
def test_windows_other_shapes(submission, graded_source, length, window, batch_size):
    """make_windows on other lengths, windows and batch sizes."""
    ids = np.random.default_rng(length).integers(0, 99, size=length)
    with concealed():
        check_windows(submission, graded_source, ids, window, batch_size)


@pytest.mark.points(2)
def test_windows_shuffle_other_sizes(submission, graded_source):
    """make_windows(shuffle=True) on other sizes."""
    with concealed():
        check_shuffle(submission, graded_source, 25, 3, 4, 11)


@pytest.mark.points(1)
def test_windows_reject_each_bad_argument(submission, graded_source):
    """make_windows rejects each kind of bad argument."""
    with concealed():
        for problem in BAD_WINDOWS:
            check_windows_reject(submission, graded_source, problem)


@pytest.mark.points(1)
@cases("temperature", [0.3, 1.0, 4.0])
def test_sampling_other_logits(submission, graded_source, temperature):
    """sample_with_temperature follows softmax(logits / T) for other logits."""
    rows = np.random.default_rng(201).normal(size=(3, 4)) * 1.5
    with concealed():
        check_sampling(submission, graded_source, rows, temperature, 8_000, 202)


@pytest.mark.points(2)
def test_sampling_limits_other_shapes(submission, graded_source):
    """sample_with_temperature: the argmax limit and the randomness on other shapes."""
    with concealed():
        check_cold(submission, graded_source, 211, 40, 3)
        check_rng_used(submission, graded_source, 64, 2)


@pytest.mark.points(1)
def test_sampling_rejects_each_bad_argument(submission, graded_source):
    """sample_with_temperature rejects each kind of bad argument."""
    with concealed():
        for problem in BAD_SAMPLING:
            check_sampling_rejects(submission, graded_source, problem)


@pytest.mark.points(1)
@cases("seed, shape, scale, offset",
       [(221, (1, 1, 2), 1.0, 0.0), (222, (3, 4, 17), 10.0, 0.0), (223, (2, 3, 5), 2.0, -3000.0)])
def test_mean_nll_other_shapes(submission, graded_source, seed, shape, scale, offset):
    """mean_nll on other shapes and logit ranges."""
    with concealed():
        check_mean_nll(submission, graded_source, seed, shape, scale, offset)


@pytest.mark.points(1)
@cases("nll", [math.log(2), 8 * math.log(2), 4.6])
def test_perplexity_and_bits_other_values(submission, graded_source, nll):
    """perplexity and bits_per_character of other NLLs."""
    with concealed():
        check_perplexity_and_bits(submission, graded_source, nll)


@pytest.mark.points(1)
def test_metrics_reject_each_bad_argument(submission, graded_source):
    """mean_nll, perplexity and bits_per_character reject each kind of bad argument."""
    with concealed():
        for problem in BAD_METRICS:
            check_metrics_reject(submission, graded_source, problem)


@pytest.mark.points(2)
@cases("rnn_type", ["lstm", "gru"])
def test_model_other_sizes(submission, graded_source, rnn_type):
    """build_char_lm with other sizes."""
    with concealed():
        check_model(submission, graded_source, 6, 2, 9, rnn_type)


@pytest.mark.points(2)
def test_model_is_causal_elsewhere(submission, graded_source):
    """build_char_lm is causal at another position."""
    with concealed():
        check_causal(submission, graded_source, 5, 6, 2)


@pytest.mark.points(1)
def test_model_rejects_each_bad_argument(submission, graded_source):
    """build_char_lm rejects each kind of bad argument."""
    with concealed():
        for problem in BAD_MODELS:
            check_model_rejects(submission, graded_source, problem)


@pytest.mark.points(3)
@cases("prompt, length, scale, temperature", [("g", 12, 30.0, 1.0), ("cab", 3, 0.5, 0.01)])
def test_generate_other_prompts(submission, graded_source, prompt, length, scale, temperature):
    """generate follows a model that is certain, or made certain by a low temperature."""
    with concealed():
        check_successor(submission, graded_source, prompt, length, scale, temperature)


@pytest.mark.points(2)
def test_generate_reproducible_other_seed(submission, graded_source):
    """generate is reproducible for another seed and prompt."""
    with concealed():
        check_reproducible(submission, graded_source, "e", 25, 17)


@pytest.mark.points(1)
def test_generate_rejects_each_bad_argument(submission, graded_source):
    """generate rejects each kind of bad argument."""
    with concealed():
        for problem in BAD_GENERATE:
            check_generate_rejects(submission, graded_source, problem)
