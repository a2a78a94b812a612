"""The demo assignment keeps its solution next to its tests rather than in solutions/."""

from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def solution_notebook():
    return Path(__file__).with_name("demo.ipynb")
