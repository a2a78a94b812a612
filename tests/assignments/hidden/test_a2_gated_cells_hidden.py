"""Hidden graded tests for assignment a2_gated_cells: the public checks on other shapes, seeds
and options (one unit, one time step, a batch of one, default initializers, other initializer
configs). Never shipped to students; a failure names no input.
"""

import sys
from pathlib import Path

import pytest
from hidden_case import cases, concealed

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "public"))
from test_a2_gated_cells import (  # noqa: E402
    check_config_round_trip,
    check_functional,
    check_layout,
    check_matches_keras,
    check_single_step,
    constant,
)

CELLS = ["LSTMCell", "GRUCell"]


@pytest.mark.points(2)
@pytest.mark.parametrize("cell_name", CELLS)
@cases("seed, sizes", [(101, (1, 6, 3, 1)), (102, (5, 1, 2, 6))])
def test_matches_keras_other_shapes(submission, graded_source, cell_name, seed, sizes):
    """RNN(cell) equals the built-in layer on other shapes."""
    with concealed():
        check_matches_keras(submission, graded_source, cell_name, seed, sizes)


@pytest.mark.points(2)
@pytest.mark.parametrize("cell_name", CELLS)
@cases("seed, sizes", [(111, (5, 7, 2, 3)), (112, (2, 3, 4, 2))])
def test_masking_other_shapes(submission, graded_source, cell_name, seed, sizes):
    """RNN(cell) with a mask equals the built-in layer on other shapes."""
    with concealed():
        check_matches_keras(submission, graded_source, cell_name, seed, sizes, masked=True)


@pytest.mark.points(4)
@pytest.mark.parametrize("cell_name", CELLS)
def test_single_step_other_shapes(submission, graded_source, cell_name):
    """One step of the cell equals its equations on another shape."""
    with concealed():
        check_single_step(submission, graded_source, cell_name, 121, (1, 1, 6, 2))


@pytest.mark.points(3)
@pytest.mark.parametrize("cell_name", CELLS)
def test_layout_with_default_initializers(submission, graded_source, cell_name):
    """The cell's weights with the default initializers."""
    with concealed():
        check_layout(submission, graded_source, cell_name, 131, (2, 2, 5, 3), bias=None)


@pytest.mark.points(3)
@pytest.mark.parametrize("cell_name", CELLS)
def test_config_round_trip_other_options(submission, graded_source, cell_name):
    """get_config/from_config with other initializers."""
    options = {"kernel_initializer": constant(0.1), "recurrent_initializer": "ones",
               "bias_initializer": "ones"}
    with concealed():
        check_config_round_trip(submission, graded_source, cell_name, 141, (3, 2, 2, 3), options)


@pytest.mark.points(2)
@pytest.mark.parametrize("cell_name", CELLS)
def test_functional_other_shapes(submission, graded_source, cell_name):
    """The cell inside a functional model on another shape."""
    with concealed():
        check_functional(submission, graded_source, cell_name, 151, (3, 2, 4, 5))
