"""Graded tests: hidden test files grade the same assignment as their public twin."""

import pytest

from autograder import notebook
from autograder.pytest_plugin import assignment_of


@pytest.fixture(scope="module")
def assignment_name(request) -> str:
    """`test_<name>.py` and `test_<name>_hidden.py` both grade `<name>`."""
    return assignment_of(request.path).removesuffix("_hidden")


@pytest.fixture(scope="module")
def graded_source(submission_notebook) -> str:
    """The text of the graded cells, for static checks in this (trusted) process."""
    return notebook.graded_source(notebook.read_notebook(submission_notebook))
