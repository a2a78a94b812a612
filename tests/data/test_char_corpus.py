import pytest

from seqlib import data
from seqlib.data import corpus


@pytest.fixture(scope="module")
def small():
    return data.char_corpus(max_chars=30_000)


def test_caps_sizes_and_builds_the_vocabulary_from_train(small):
    assert len(small.train) == 30_000
    assert len(small.valid) == len(small.test) == 3_000
    assert small.vocab.tokens[4:] == sorted(set(small.train))
    unseen = next(char for char in small.valid + small.test + "\u2603" if char not in small.vocab)
    assert small.vocab.encode(unseen) == [small.vocab.unk_id]
    assert "".join(small.vocab.decode(small.vocab.encode(small.train[:500]))) == small.train[:500]


def test_is_deterministic(small):
    assert data.char_corpus(max_chars=30_000) == small


def test_documents_are_split_whole_by_name():
    names = corpus._document_names()
    assert any(name.startswith("pydoc_data/topics/") for name in names)
    assert all("site-packages" not in name and "/test/" not in f"/{name}" for name in names)
    splits = [corpus._split_of(name) for name in names]
    assert splits == [corpus._split_of(name) for name in names]
    held_out = splits.count("valid") + splits.count("test")
    assert 0.05 < held_out / len(names) < 0.15
    # The first document of each split opens that split's text.
    small = data.char_corpus(max_chars=2_000)
    for split in ("train", "valid", "test"):
        first = next(
            name
            for name in sorted(names, key=corpus._document_order)
            if corpus._split_of(name) == split and corpus._read_document(name)
        )
        text, document = getattr(small, split), corpus._read_document(first) + "\n"
        assert document.startswith(text) or text.startswith(document)


def test_bad_max_chars_is_rejected():
    with pytest.raises(ValueError, match="max_chars must be >= 1"):
        data.char_corpus(max_chars=0)
