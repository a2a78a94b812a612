import numpy as np
import pytest
from num2words import num2words

from seqlib import data


@pytest.fixture(scope="module")
def dataset():
    return data.number_language_id(num_examples=300, window=10, seed=3)


def test_shapes_and_split_sizes(dataset):
    sizes = [len(getattr(dataset, split)[0]) for split in ("train", "valid", "test")]
    assert sizes == [240, 30, 30]
    for split in ("train", "valid", "test"):
        ids, labels = getattr(dataset, split)
        assert ids.shape == (len(labels), 10) and ids.dtype == np.int32
        assert labels.dtype == np.int32 and set(labels) <= set(range(len(dataset.languages)))
        assert len(dataset.texts[split]) == len(labels)


def test_ids_decode_to_the_fragment_left_padded(dataset):
    ids, _ = dataset.train
    for row, text in zip(ids, dataset.texts["train"]):
        assert "".join(dataset.vocab.decode(row)) == text
        assert np.all(row[: 10 - len(text)] == 0) and np.all(row[10 - len(text) :] > 3)


def test_fragments_come_from_the_labelled_language(dataset):
    # Replays the generator's draws (numbers, then labels) and checks the first fragments.
    rng = np.random.default_rng(3)
    numbers = rng.choice(999_999 + 1, size=300, replace=False)
    labels = rng.integers(0, len(dataset.languages), size=300)
    all_labels = np.concatenate([dataset.train[1], dataset.valid[1], dataset.test[1]])
    np.testing.assert_array_equal(all_labels, labels)
    texts = dataset.texts["train"] + dataset.texts["valid"] + dataset.texts["test"]
    for number, label, text in zip(numbers[:50], labels[:50], texts[:50]):
        assert text in num2words(int(number), lang=dataset.languages[label])


def test_all_languages_occur_and_are_balanced():
    dataset = data.number_language_id(num_examples=3000, window=12, seed=0)
    counts = np.bincount(dataset.train[1], minlength=len(dataset.languages))
    assert counts.min() > 0.8 * counts.mean()


def test_same_seed_same_data_and_seeds_differ(dataset):
    again = data.number_language_id(num_examples=300, window=10, seed=3)
    np.testing.assert_array_equal(again.train[0], dataset.train[0])
    other = data.number_language_id(num_examples=300, window=10, seed=4)
    assert not np.array_equal(other.train[0], dataset.train[0])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"languages": ("en",)}, "at least two distinct"),
        ({"languages": ("en", "xx")}, "unknown language"),
        ({"num_examples": 20, "max_number": 10}, "do not fit"),
        ({"window": 0}, "window must be >= 1"),
        ({"valid_fraction": 0.6}, "valid_fraction"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.number_language_id(**{"num_examples": 10, **kwargs})
