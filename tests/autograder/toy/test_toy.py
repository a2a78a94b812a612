"""Graded tests of the toy assignment (5 points), used by the autograder's own tests."""

import math

import pytest


@pytest.mark.points(1)
def test_add(submission):
    assert submission.add(2, 3) == 5


@pytest.mark.points(2)
def test_running_mean_survives_pickling(submission):
    running = submission.Running()
    for value in (1.0, 2.0, 6.0):
        running.update(value)
    # Pickled and unpickled in the submission's process: the bytes travel as data.
    pickle = submission.lib("pickle")
    restored = pickle.loads(pickle.dumps(running))
    assert restored.mean == pytest.approx(3.0)
    assert math.isnan(submission.Running().mean)


@pytest.mark.points(1)
@pytest.mark.parametrize("values, expected", [((3.0, 4.0), 5.0), ((), 0.0)])
def test_norm(submission, values, expected):
    assert submission.norm(values) == pytest.approx(expected)
