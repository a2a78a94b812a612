import numpy as np
import pytest

from seqlib import data


def test_pixel_and_row_modes_read_the_same_images():
    pixels, pixel_labels = data.sequential_digits("pixel", "train", seed=4)
    rows, row_labels = data.sequential_digits("row", "train", seed=4)
    assert pixels.shape == (len(pixel_labels), 64, 1) and rows.shape == (len(row_labels), 8, 8)
    assert pixels.dtype == rows.dtype == np.float32 and pixel_labels.dtype == np.int32
    np.testing.assert_array_equal(pixels.reshape(-1, 8, 8), rows)
    np.testing.assert_array_equal(pixel_labels, row_labels)
    assert pixels.min() == 0.0 and pixels.max() == 1.0
    assert set(np.unique(pixel_labels)) == set(range(10))


def test_splits_partition_load_digits_and_seed_only_shuffles():
    from sklearn.datasets import load_digits

    train, train_labels = data.sequential_digits("row", "train")
    test, _ = data.sequential_digits("row", "test")
    assert len(train) + len(test) == 1797 and len(test) == 359
    reference = {image.tobytes() for image in (load_digits().images / 16).astype(np.float32)}
    train_set = {image.tobytes() for image in train}
    test_set = {image.tobytes() for image in test}
    assert train_set | test_set == reference
    shuffled, shuffled_labels = data.sequential_digits("row", "train", seed=1)
    assert {image.tobytes() for image in shuffled} == train_set
    assert not np.array_equal(shuffled_labels, train_labels)
    np.testing.assert_array_equal(data.sequential_digits("row", "train")[0], train)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"mode": "column"}, "unknown mode 'column'; supported: 'pixel', 'row'"),
        ({"split": "valid"}, "unknown split 'valid'; supported: 'train', 'test'"),
    ],
)
def test_bad_mode_or_split_is_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.sequential_digits(**kwargs)
