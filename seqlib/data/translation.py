"""Number translation: integers written out by ``num2words`` in two languages.

English -> German is the interesting pair: "thirty-four" becomes "vierunddreißig", whose
morphemes ["vier", "und", "dreißig"] put the units before the tens, so a model must reorder.

Tokenisation splits on spaces, hyphens and commas and drops them, so French "trente-quatre"
gives ["trente", "quatre"]. German compounds are split into numeral morphemes
("einhunderteins" -> ["ein", "hundert", "eins"]). ``"digits"`` writes the number in figures,
one token per digit ("34" -> ["3", "4"]).
"""

import dataclasses
import re

import numpy as np

from seqlib.data._checks import check_choice, check_int
from seqlib.data.vocab import Vocabulary, pad_sequences

LANGUAGES = ("digits", "en", "fr", "de")
MAX_NUMBER_LIMIT = 999_999  # German numerals above this are separate words ("eine Million").
SPLITS = ("train", "valid", "test")

_GERMAN_MORPHEMES = """
    null ein eins zwei drei vier fünf sechs sieben acht neun zehn elf zwölf
    dreizehn vierzehn fünfzehn sechzehn siebzehn achtzehn neunzehn
    zwanzig dreißig vierzig fünfzig sechzig siebzig achtzig neunzig und hundert tausend
""".split()
# Longest match first, so "vierzehn" is one morpheme rather than "vier" + "zehn".
_GERMAN_PATTERN = re.compile("|".join(sorted(_GERMAN_MORPHEMES, key=len, reverse=True)))
_WORD_SEPARATORS = re.compile(r"[\s,\-]+")


def render_number(number, language):
    """The text of ``number`` in ``language`` (one of ``LANGUAGES``)."""
    check_choice("language", language, LANGUAGES)
    number = check_int("number", number, 0)
    if language == "digits":
        return str(number)
    from num2words import num2words

    return num2words(number, lang=language)


def tokenize_number(text, language):
    """Split a rendered number into tokens (see the module docstring for the rules)."""
    check_choice("language", language, LANGUAGES)
    if language == "digits":
        return [char for char in text if not char.isspace()]
    words = [word for word in _WORD_SEPARATORS.split(text.lower()) if word]
    if language != "de":
        return words
    return [morpheme for word in words for morpheme in _split_german(word)]


def _split_german(word):
    morphemes, position = [], 0
    while position < len(word):
        match = _GERMAN_PATTERN.match(word, position)
        if match is None:
            raise ValueError(f"cannot split German numeral {word!r} at {word[position:]!r}")
        morphemes.append(match.group())
        position = match.end()
    return morphemes


@dataclasses.dataclass(frozen=True)
class NumberTranslation:
    """Splits of a number translation dataset.

    ``train``, ``valid`` and ``test`` are ``(source_ids, target_ids)`` int32 arrays padded with
    0 to the same lengths in every split. Sources end with EOS; targets are BOS ... EOS.
    ``pairs`` holds the ``(source text, target text)`` of every example in split order
    (train, then valid, then test); ``pairs_of(split)`` gives the ones aligned with a split.
    """

    train: tuple
    valid: tuple
    test: tuple
    source_vocab: Vocabulary
    target_vocab: Vocabulary
    pairs: list
    source: str
    target: str

    def pairs_of(self, split):
        check_choice("split", split, SPLITS)
        sizes = [len(getattr(self, name)[0]) for name in SPLITS]
        start = sum(sizes[: SPLITS.index(split)])
        return self.pairs[start : start + sizes[SPLITS.index(split)]]

    def tokenize_source(self, text):
        return tokenize_number(text, self.source)

    def tokenize_target(self, text):
        return tokenize_number(text, self.target)


def check_parameters(
    target, source, num_examples, max_number, valid_fraction=0.1, test_fraction=0.1
):
    """Validate ``number_translation``'s parameters; returns ``(max_number, num_examples)``."""
    check_choice("source language", source, LANGUAGES)
    check_choice("target language", target, LANGUAGES)
    if source == target:
        raise ValueError(f"source and target languages must differ, both are {source!r}")
    max_number = check_int("max_number", max_number, 1)
    if max_number > MAX_NUMBER_LIMIT:
        raise ValueError(f"max_number must be <= {MAX_NUMBER_LIMIT}, got {max_number}")
    num_examples = check_int("num_examples", num_examples, 3)
    if num_examples > max_number + 1:
        raise ValueError(
            f"num_examples={num_examples} distinct numbers do not fit in 0..{max_number}"
        )
    for name, fraction in (("valid_fraction", valid_fraction), ("test_fraction", test_fraction)):
        if not 0.0 < fraction < 0.5:
            raise ValueError(f"{name} must be in (0, 0.5), got {fraction}")
    return max_number, num_examples


def number_translation(
    target="fr",
    source="en",
    num_examples=5000,
    max_number=9999,
    seed=0,
    valid_fraction=0.1,
    test_fraction=0.1,
):
    """Pairs of distinct numbers in ``0..max_number`` rendered in ``source`` and ``target``.

    The numbers are drawn without replacement, so no number appears in two splits. Both
    vocabularies are built from all splits: number words form a small closed set.
    """
    max_number, num_examples = check_parameters(
        target, source, num_examples, max_number, valid_fraction, test_fraction
    )
    rng = np.random.default_rng(seed)
    numbers = rng.choice(max_number + 1, size=num_examples, replace=False).tolist()
    pairs = [(render_number(n, source), render_number(n, target)) for n in numbers]
    source_tokens = [tokenize_number(text, source) for text, _ in pairs]
    target_tokens = [tokenize_number(text, target) for _, text in pairs]
    source_vocab = Vocabulary(sorted({token for tokens in source_tokens for token in tokens}))
    target_vocab = Vocabulary(sorted({token for tokens in target_tokens for token in tokens}))
    source_ids = pad_sequences([source_vocab.encode(t, add_eos=True) for t in source_tokens])
    target_ids = pad_sequences(
        [target_vocab.encode(t, add_bos=True, add_eos=True) for t in target_tokens]
    )

    num_valid = max(1, round(valid_fraction * num_examples))
    num_test = max(1, round(test_fraction * num_examples))
    bounds = np.cumsum([num_examples - num_valid - num_test, num_valid])
    splits = list(zip(np.split(source_ids, bounds), np.split(target_ids, bounds)))
    return NumberTranslation(*splits, source_vocab, target_vocab, pairs, source, target)
