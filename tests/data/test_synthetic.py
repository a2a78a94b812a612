import numpy as np
import pytest

from seqlib import data


@pytest.mark.parametrize("length", [2, 3, 50, 1001])
def test_adding_problem_target_is_the_sum_of_the_two_marked_values(length):
    x, y = data.adding_problem(64, length, seed=3)
    assert x.shape == (64, length, 2) and y.shape == (64,)
    assert x.dtype == np.float32 and y.dtype == np.float32
    values, markers = x[..., 0], x[..., 1]
    assert values.min() >= 0.0 and values.max() <= 1.0
    assert np.isin(markers, [0.0, 1.0]).all()
    np.testing.assert_array_equal(markers.sum(axis=1), 2.0)
    # One marker in each half.
    np.testing.assert_array_equal(markers[:, : length // 2].sum(axis=1), 1.0)
    np.testing.assert_allclose(y, (values * markers).sum(axis=1), rtol=1e-6)


def test_adding_problem_values_look_uniform():
    x, y = data.adding_problem(2000, 20, seed=0)
    assert abs(x[..., 0].mean() - 0.5) < 0.01
    assert abs(y.mean() - 1.0) < 0.03


@pytest.mark.parametrize(
    "generator, args",
    [(data.adding_problem, (8, 30)), (data.copy_task, (8, 30)), (data.temporal_order, (8, 30))],
)
def test_generators_are_deterministic_per_seed(generator, args):
    first, second, other = generator(*args, seed=7), generator(*args, seed=7), generator(*args)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: data.adding_problem(4, 1), ValueError, r"length \(T\) must be >= 2, got 1"),
        (lambda: data.temporal_order(4, 1), ValueError, r"length \(T\) must be >= 2"),
        (lambda: data.copy_task(4, 0), ValueError, "length must be >= 1"),
        (lambda: data.copy_task(0, 5), ValueError, "num_examples must be >= 1"),
        (lambda: data.copy_task(4, 5, num_symbols=0), ValueError, "num_symbols must be >= 1"),
        (lambda: data.adding_problem(4, 10.5), TypeError, "length.*must be an integer"),
        (lambda: data.adding_problem(True, 10), TypeError, "num_examples must be an integer"),
    ],
)
def test_bad_parameters_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("reverse", [False, True])
def test_copy_task_target_copies_or_reverses_the_source(reverse):
    source, target = data.copy_task(32, 13, num_symbols=5, reverse=reverse, seed=1)
    assert source.shape == target.shape == (32, 13)
    assert source.dtype == target.dtype == np.int32
    assert source.min() == 1 and source.max() == 5
    expected = source[:, ::-1] if reverse else source
    np.testing.assert_array_equal(target, expected)


@pytest.mark.parametrize("length", [2, 5, 100, 257])
def test_temporal_order_label_names_the_order_of_x_and_y(length):
    x, y = data.temporal_order(200, length, seed=2)
    assert x.shape == (200, length, 6) and x.dtype == np.float32
    assert y.dtype == np.int32
    np.testing.assert_array_equal(x.sum(axis=-1), 1.0)
    symbols = x.argmax(axis=-1)
    for row, label in zip(symbols, y):
        relevant = np.flatnonzero(row < 2)  # X and Y are symbols 0 and 1
        assert len(relevant) == 2
        t1, t2 = relevant
        assert length // 10 <= t1 <= 2 * length // 10
        assert length // 2 <= t2 <= 6 * length // 10
        names = "".join(data.TEMPORAL_ORDER_SYMBOLS[s] for s in row[relevant])
        assert data.TEMPORAL_ORDER_CLASSES[label] == names
    assert set(np.unique(y)) == {0, 1, 2, 3}
