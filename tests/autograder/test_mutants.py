"""Typical student bugs lose points, and delegating A4's decoders to seqlib earns none.

`benchmarks/mutants.py` grades the whole catalogue (README: "Mutants"); here a sample goes
through the same grader to keep CI short.
"""

import json
import sys

import pytest

from autograder import batch, notebook, release
from autograder.assignments import HIDDEN_TESTS_DIR, SOLUTIONS_DIR

sys.path.insert(0, str(HIDDEN_TESTS_DIR / "mutants"))
from catalogue import MUTANTS, Mutant, mutate  # noqa: E402

# One mutant of each A1 function family that a weak test suite lets through.
A1_SAMPLE = ("rnn_step_backward: dh_prev uses Wh, not Wh^T",
             "rnn_backward: forgets the gradient carried from t+1",
             "clip_by_global_norm: clips each tensor by its own norm")


def grade(assignment, notebooks: dict[str, dict], tmp_path):
    """Grades the notebooks as a class: {student: (tests, results.json)}."""
    folder = tmp_path / "submissions"
    folder.mkdir()
    for student, data in notebooks.items():
        (folder / f"{student}.ipynb").write_text(json.dumps(data))
    result = batch.grade_class(assignment, folder, tmp_path / "grades", jobs=2, force=True)
    return result.tests, {data["extra_data"]["student"]: data for data in result.results}


@pytest.mark.parametrize("assignment", sorted(MUTANTS))
def test_every_mutant_applies_to_its_solution(assignment):
    solution = notebook.read_notebook(SOLUTIONS_DIR / f"{assignment}.ipynb")
    names = release.graded_names(solution)
    for mutant in MUTANTS[assignment]:
        assert mutant.function in names, mutant.name
        assert mutate(solution, mutant) != solution


def test_a_sample_of_mutants_loses_points(tmp_path):
    solution = notebook.read_notebook(SOLUTIONS_DIR / "a1_rnn_numpy.ipynb")
    sample = [mutant for mutant in MUTANTS["a1_rnn_numpy"] if mutant.name in A1_SAMPLE]
    assert len(sample) == len(A1_SAMPLE)
    _, results = grade("a1_rnn_numpy",
                       {f"m{i}": mutate(solution, mutant) for i, mutant in enumerate(sample)},
                       tmp_path)
    for index, mutant in enumerate(sample):
        data = results[f"m{index}"]
        assert data["score"] < data["extra_data"]["max_score"], mutant.name


def test_a4_decoders_delegated_to_seqlib_earn_nothing(tmp_path):
    """Graded cells that import seqlib.decoding's greedy_decode and beam_search score 0 on every
    test of those two functions, and keep the points of everything else."""
    solution = notebook.read_notebook(SOLUTIONS_DIR / "a4_seq2seq_attention.ipynb")
    delegating = solution
    for mutant in MUTANTS["a4_seq2seq_attention"]:
        if mutant.bug == "delegates to seqlib.decoding":
            delegating = mutate(delegating, mutant)
    tests, results = grade("a4_seq2seq_attention", {"delegating": delegating}, tmp_path)
    names = release.graded_names(solution)
    delegated = ("greedy_decode", "beam_search")
    outcomes = results["delegating"]["tests"]
    assert len(outcomes) == len(tests)
    for test, outcome in zip(tests, outcomes):
        function = release.tested_function(test, names)
        expected = 0 if function in delegated else outcome["max_score"]
        assert outcome["score"] == expected, (test.nodeid, function, outcome)
    assert sum(release.tested_function(test, names) in delegated for test in tests) >= 10


def test_stale_mutants_are_refused():
    solution = notebook.read_notebook(SOLUTIONS_DIR / "a1_rnn_numpy.ipynb")
    stale = Mutant("a1_rnn_numpy", "rnn_forward", "bug", "no such code", "")
    with pytest.raises(ValueError, match="occurs 0 times"):
        mutate(solution, stale)
