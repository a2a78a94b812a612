import numpy as np
import pytest
from num2words import num2words

from seqlib import data


@pytest.mark.parametrize(
    "text, language, tokens",
    [
        ("vierunddreißig", "de", ["vier", "und", "dreißig"]),
        ("einhunderteins", "de", ["ein", "hundert", "eins"]),
        ("vierzehntausendsiebzehn", "de", ["vierzehn", "tausend", "siebzehn"]),
        ("trente-quatre", "fr", ["trente", "quatre"]),
        ("quatre-vingt-dix-neuf", "fr", ["quatre", "vingt", "dix", "neuf"]),
        (
            "one thousand, two hundred and thirty-four",
            "en",
            ["one", "thousand", "two", "hundred", "and", "thirty", "four"],
        ),
        ("34", "digits", ["3", "4"]),
    ],
)
def test_tokenize_splits_words_and_german_compounds(text, language, tokens):
    assert data.tokenize_number(text, language) == tokens


def test_german_morphemes_rebuild_every_numeral():
    for number in [*range(0, 1200), 21_000, 99_999, 123_456, 999_999]:
        text = num2words(number, lang="de")
        assert "".join(data.tokenize_number(text, "de")) == text.lower()


def test_unsplittable_german_word_is_reported():
    with pytest.raises(ValueError, match="cannot split German numeral 'vierxig'"):
        data.tokenize_number("vierxig", "de")


@pytest.fixture(scope="module")
def en_de():
    return data.number_translation("de", "en", num_examples=300, max_number=999, seed=5)


def test_splits_have_consistent_padded_shapes(en_de):
    lengths = set()
    for split, size in (("train", 240), ("valid", 30), ("test", 30)):
        source_ids, target_ids = getattr(en_de, split)
        assert source_ids.dtype == target_ids.dtype == np.int32
        assert len(source_ids) == len(target_ids) == len(en_de.pairs_of(split)) == size
        lengths.add((source_ids.shape[1], target_ids.shape[1]))
    assert len(lengths) == 1
    assert len(en_de.pairs) == 300


def test_ids_decode_to_the_tokens_of_the_pairs(en_de):
    for split in ("train", "valid", "test"):
        source_ids, target_ids = getattr(en_de, split)
        for (source, target), src, tgt in zip(en_de.pairs_of(split), source_ids, target_ids):
            assert tgt[0] == en_de.target_vocab.bos_id
            assert src[len(en_de.tokenize_source(source))] == en_de.source_vocab.eos_id
            assert en_de.source_vocab.decode(src) == en_de.tokenize_source(source)
            assert en_de.target_vocab.decode(tgt) == en_de.tokenize_target(target)
            assert data.Vocabulary.unk_id not in tgt


def test_pairs_render_distinct_numbers_in_both_languages(en_de):
    by_english = {}
    for number in range(1000):
        by_english[num2words(number, lang="en")] = num2words(number, lang="de")
    assert all(by_english[source] == target for source, target in en_de.pairs)
    assert len({source for source, _ in en_de.pairs}) == 300


def test_german_reorders_units_and_tens():
    assert data.tokenize_number(data.render_number(34, "en"), "en") == ["thirty", "four"]
    assert data.tokenize_number(data.render_number(34, "de"), "de") == ["vier", "und", "dreißig"]


def test_digits_source_and_determinism():
    first = data.number_translation("fr", "digits", num_examples=50, max_number=99, seed=1)
    again = data.number_translation("fr", "digits", num_examples=50, max_number=99, seed=1)
    other = data.number_translation("fr", "digits", num_examples=50, max_number=99, seed=2)
    assert first.pairs == again.pairs and first.pairs != other.pairs
    np.testing.assert_array_equal(first.train[1], again.train[1])
    assert set(first.source_vocab.tokens[4:]) <= set("0123456789")
    for source, target in first.pairs:
        assert target == num2words(int(source), lang="fr")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"target": "xx"}, "unknown target language 'xx'; supported: 'digits', 'en', 'fr', 'de'"),
        ({"source": "klingon"}, "unknown source language 'klingon'"),
        ({"target": "en"}, "must differ"),
        ({"num_examples": 101, "max_number": 99}, "do not fit in 0..99"),
        ({"max_number": 10**6}, "max_number must be <= 999999"),
        ({"test_fraction": 0.7}, r"test_fraction must be in \(0, 0.5\)"),
    ],
)
def test_bad_parameters_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.number_translation(**kwargs)
