import pytest

from seqlib import data
from seqlib.data.vocab import EOS


@pytest.fixture(scope="module")
def small():
    return data.word_corpus(max_words=3_000, vocab_size=200)


def test_tokenizes_lower_case_words_numbers_and_punctuation():
    assert data.tokenize_words("Don't call f(x) 42 times!") == [
        "don't", "call", "f", "(", "x", ")", "42", "times", "!"
    ]


def test_caps_sizes_and_keeps_the_most_frequent_training_words(small):
    assert len(small.train) == 3_000
    assert len(small.valid) == len(small.test) == 1_000
    assert len(small.vocab) == 4 + 200
    counts = {token: small.train.count(token) for token in set(small.train) - {EOS}}
    rarest_kept = min(counts[token] for token in small.vocab.tokens[4:])
    assert all(count <= rarest_kept for token, count in counts.items()
               if token not in small.vocab)
    ids = small.vocab.encode(small.valid)
    assert small.vocab.unk_id in ids and small.vocab.eos_id in small.vocab.encode(small.train)


def test_is_deterministic_and_splits_differ(small):
    assert data.word_corpus(max_words=3_000, vocab_size=200) == small
    assert small.train[:50] != small.valid[:50]


def test_rejects_bad_arguments():
    with pytest.raises(ValueError):
        data.word_corpus(max_words=0)
    with pytest.raises(TypeError):
        data.word_corpus(vocab_size=1.5)
