import numpy as np
import pytest

from seqlib import data


def test_pairs_wrap_the_same_symbols_in_bos_and_eos():
    dataset = data.copy_dataset([3, 5], examples_per_length=4, num_symbols=6, seed=7)
    vocab = dataset.vocab
    assert dataset.source.shape == (8, 6) and dataset.target.shape == (8, 7)
    assert dataset.source.dtype == dataset.target.dtype == np.int32
    assert dataset.lengths.tolist() == [3] * 4 + [5] * 4
    symbols, _ = data.copy_task(4, 5, num_symbols=6, seed=7 + 5)
    for row, expected in zip(dataset.target[4:], symbols):
        assert row[0] == vocab.bos_id
        assert vocab.decode(row) == [str(symbol) for symbol in expected]
    for source, target, length in zip(dataset.source, dataset.target, dataset.lengths):
        assert source[length] == vocab.eos_id and (source[length + 1 :] == 0).all()
        assert target[length + 1] == vocab.eos_id and (target[length + 2 :] == 0).all()
        assert source[:length].tolist() == target[1 : length + 1].tolist()


def test_reverse_source_reverses_only_the_encoder_input():
    forward = data.copy_dataset([4, 6], 5, seed=1)
    backward = data.copy_dataset([4, 6], 5, reverse_source=True, seed=1)
    np.testing.assert_array_equal(forward.target, backward.target)
    for f, b, length in zip(forward.source, backward.source, forward.lengths):
        assert b[:length].tolist() == f[:length][::-1].tolist()
        assert b[length] == forward.vocab.eos_id


def test_symbols_map_clear_of_the_special_tokens():
    vocab = data.copy_vocabulary(8)
    assert len(vocab) == 12
    assert [vocab.token_to_id(str(symbol)) for symbol in range(1, 9)] == list(range(4, 12))


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"lengths": [], "examples_per_length": 2}, ValueError),
        ({"lengths": [0], "examples_per_length": 2}, ValueError),
        ({"lengths": [3], "examples_per_length": 0}, ValueError),
        ({"lengths": [3.5], "examples_per_length": 2}, TypeError),
    ],
)
def test_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        data.copy_dataset(**kwargs)
