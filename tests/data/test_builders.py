"""tensorflow-datasets builders: prepared offline (sockets are blocked in conftest.py)."""

import numpy as np
import pytest
import tensorflow_datasets as tfds

from seqlib import data
from seqlib.data import builders, loading


@pytest.fixture(scope="module", autouse=True)
def quiet_tfds():
    tfds.display_progress_bar(False)
    yield
    tfds.display_progress_bar(True)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("tensorflow_datasets")


def as_numpy(dataset):
    examples = list(dataset.as_numpy_iterator())
    return {key: [example[key] for example in examples] for key in examples[0]}


ADDING = dict(length=12, num_train=30, num_test=10, seed=3)
CORPUS = dict(max_chars=3000, chunk_length=64)


def test_every_dataset_has_a_builder():
    assert sorted(builders.BUILDERS) == sorted(data.DATASETS)


def test_default_data_dir_is_seq_data_dir_or_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("SEQ_DATA_DIR", str(tmp_path / "mine"))
    assert data.default_data_dir() == tmp_path / "mine"
    monkeypatch.delenv("SEQ_DATA_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert data.default_data_dir() == tmp_path / "cache" / "seqcourse" / "tensorflow_datasets"


def test_load_uses_seq_data_dir_by_default(monkeypatch, tmp_path):
    monkeypatch.setenv("SEQ_DATA_DIR", str(tmp_path))
    data.load("adding_problem", **ADDING)
    prepared = list(tmp_path.glob("adding_problem/*/1.0.0/dataset_info.json"))
    assert len(prepared) == 1


def test_adding_problem_prepares_offline_and_matches_numpy(data_dir, tmp_path):
    dataset, info = data.load("adding_problem", data_dir=data_dir, with_info=True, **ADDING)
    assert info.splits["train"].num_examples == 30 and info.splits["test"].num_examples == 10
    assert dataset.element_spec["x"].shape == (12, 2)
    train = as_numpy(dataset)
    x, y = data.adding_problem(30, 12, seed=3)
    np.testing.assert_array_equal(np.stack(train["x"]), x)
    np.testing.assert_array_equal(np.array(train["y"]), y)

    # A fresh preparation elsewhere gives identical data, including the test split.
    test = as_numpy(data.load("adding_problem", "test", data_dir=data_dir, **ADDING))
    again = as_numpy(data.load("adding_problem", "test", data_dir=tmp_path, **ADDING))
    np.testing.assert_array_equal(np.stack(test["x"]), np.stack(again["x"]))
    assert not np.array_equal(np.stack(test["x"]), x[:10])
    other = as_numpy(data.load("adding_problem", data_dir=tmp_path, **{**ADDING, "seed": 4}))
    assert not np.array_equal(np.stack(other["x"]), x)


def test_copy_task_and_temporal_order_match_numpy(data_dir):
    copy = as_numpy(
        data.load("copy_task", data_dir=data_dir, length=6, num_train=8, num_test=2, reverse=True)
    )
    source, target = data.copy_task(8, 6, reverse=True)
    np.testing.assert_array_equal(np.stack(copy["source"]), source)
    np.testing.assert_array_equal(np.stack(copy["target"]), target)

    order = as_numpy(
        data.load("temporal_order", data_dir=data_dir, length=20, num_train=8, num_test=2, seed=1)
    )
    x, y = data.temporal_order(8, 20, seed=1)
    np.testing.assert_array_equal(np.stack(order["x"]), x)
    np.testing.assert_array_equal(np.array(order["y"]), y)


def test_sequential_digits_matches_numpy_and_has_supervised_pairs(data_dir):
    test = as_numpy(data.load("sequential_digits", "test", data_dir=data_dir, mode="row"))
    x, y = data.sequential_digits("row", "test")
    np.testing.assert_array_equal(np.stack(test["x"]), x)
    np.testing.assert_array_equal(np.array(test["y"]), y)
    pairs = data.load(
        "sequential_digits", "train[:5]+test[:3]", data_dir, as_supervised=True, mode="row"
    )
    images, labels = next(iter(pairs.batch(8)))
    assert images.shape == (8, 8, 8) and labels.shape == (8,)
    np.testing.assert_array_equal(images[5:], x[:3])


def test_number_translation_stores_unpadded_ids_and_vocabularies(data_dir):
    config = dict(target="de", num_examples=60, max_number=500, seed=2)
    valid, info = data.load("number_translation", "valid", data_dir, with_info=True, **config)
    valid = as_numpy(valid)
    reference = data.number_translation(**config)
    assert data.vocabulary_from_info(info, "target_vocab") == reference.target_vocab
    assert data.vocabulary_from_info(info, "source_vocab") == reference.source_vocab
    assert [text.decode() for text in valid["target_text"]] == [
        target for _, target in reference.pairs_of("valid")
    ]
    for ids, padded in zip(valid["target_ids"], reference.valid[1]):
        np.testing.assert_array_equal(ids, padded[padded != 0])
        assert ids[0] == reference.target_vocab.bos_id and ids[-1] == reference.target_vocab.eos_id

    # The vocabularies are read back from disk when the prepared data is reused.
    reloaded = loading.builder("number_translation", data_dir, **config)
    assert data.vocabulary_from_info(reloaded.info, "target_vocab") == reference.target_vocab


def test_char_corpus_chunks_the_text(data_dir):
    train, info = data.load("char_corpus", data_dir=data_dir, with_info=True, **CORPUS)
    train = as_numpy(train)
    corpus = data.char_corpus(max_chars=3000)
    assert "".join(text.decode() for text in train["text"]) == corpus.train
    vocab = data.vocabulary_from_info(info)
    assert vocab == corpus.vocab
    assert "".join(vocab.decode(train["ids"][0])) == train["text"][0].decode()


def test_digit_captions_match_numpy(data_dir):
    config = dict(num_train=6, num_test=3, num_digits=2, style="number", seed=5)
    train, info = data.load("digit_captions", data_dir=data_dir, with_info=True, **config)
    train = as_numpy(train)
    reference = data.digit_captions(6, num_digits=2, seed=5, style="number")
    np.testing.assert_array_equal(np.stack(train["image"]), reference.images)
    np.testing.assert_array_equal(np.stack(train["digits"]), reference.digits)
    vocab = data.vocabulary_from_info(info)
    assert [vocab.decode(ids) for ids in train["caption"]] == [
        reference.vocab.decode(ids) for ids in reference.captions
    ]


@pytest.mark.parametrize(
    "name, split, config, message",
    [
        ("mnist", "train", {}, "unknown dataset 'mnist'; available: adding_problem"),
        ("adding_problem", "train", {"lenght": 5}, r"unknown parameter\(s\) \['lenght'\]"),
        ("adding_problem", "train", {"length": 1}, r"length \(T\) must be >= 2, got 1"),
        ("temporal_order", "train", {"num_test": 0}, "num_test must be >= 1"),
        ("number_translation", "train", {"target": "tlh"}, "unknown target language 'tlh'"),
        ("sequential_digits", "train", {"mode": "column"}, "unknown mode 'column'"),
        ("char_corpus", "train", {"chunk_length": 0}, "chunk_length must be >= 1"),
        ("digit_captions", "train", {"style": "roman"}, "unknown style 'roman'"),
        ("adding_problem", "valid", ADDING, "unknown split 'valid'.*available"),
        ("adding_problem", "train", {**ADDING, "seed": -1}, "seed must be >= 0, got -1"),
    ],
)
def test_bad_requests_raise_clear_errors(data_dir, name, split, config, message):
    with pytest.raises(ValueError, match=message):
        data.load(name, split, data_dir=data_dir, **config)


def test_missing_vocabulary_is_reported(data_dir):
    _, info = data.load("adding_problem", data_dir=data_dir, with_info=True, **ADDING)
    with pytest.raises(ValueError, match="no vocabulary 'vocab'"):
        data.vocabulary_from_info(info)


def test_as_supervised_needs_a_supervised_dataset(data_dir):
    with pytest.raises(ValueError, match="'char_corpus' has no \\(input, target\\) pairs"):
        data.load("char_corpus", data_dir=data_dir, as_supervised=True, **CORPUS)
