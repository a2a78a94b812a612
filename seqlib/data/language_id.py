"""Language identification: which language is a fragment of a written-out number from?

A sequence classification (many-to-one) task on text, generated offline with ``num2words``.
Each example is a window of ``window`` consecutive characters cut at a random position from a
number in ``0..max_number`` written out in one of several languages; the label is the language.
Short fragments are genuinely ambiguous ("cento" is Italian and Portuguese, "seis" Spanish and
Portuguese), so the task is not solved by a lookup of one telltale character.

    >>> dataset = number_language_id(num_examples=100, window=12)
    >>> dataset.texts["train"][0], dataset.languages[dataset.train[1][0]]  # doctest: +SKIP
    ('atrocientos ', 'es')
"""

import dataclasses

import numpy as np

from seqlib.data._checks import check_choice, check_int
from seqlib.data.translation import MAX_NUMBER_LIMIT
from seqlib.data.vocab import Vocabulary

LANGUAGE_ID_LANGUAGES = ("en", "fr", "de", "es", "it", "pt")
SPLITS = ("train", "valid", "test")


@dataclasses.dataclass(frozen=True)
class NumberLanguageID:
    """Splits of the language identification dataset.

    ``train``, ``valid`` and ``test`` are ``(ids, labels)``: ``ids`` is ``(n, window)`` int32,
    character ids left-padded with 0 when the whole number is shorter than the window (so the
    last step is always text), ``labels`` is ``(n,)`` int32, an index into ``languages``.
    ``texts[split]`` holds the fragments as strings, aligned with the split's rows.
    """

    train: tuple
    valid: tuple
    test: tuple
    vocab: Vocabulary
    languages: tuple
    texts: dict


def number_language_id(
    num_examples=6000,
    window=12,
    languages=LANGUAGE_ID_LANGUAGES,
    max_number=999_999,
    seed=0,
    valid_fraction=0.1,
    test_fraction=0.1,
):
    """Character windows of written-out numbers labelled with their language.

    Each example draws a distinct number (so no number is shared between splits), a language
    uniformly from ``languages`` and a window position uniformly. The character vocabulary is
    built from all splits (a small closed set: letters, accents, space, hyphen, comma).
    """
    num_examples = check_int("num_examples", num_examples, 3)
    window = check_int("window", window, 1)
    max_number = check_int("max_number", max_number, 1)
    if max_number > MAX_NUMBER_LIMIT:
        raise ValueError(f"max_number must be <= {MAX_NUMBER_LIMIT}, got {max_number}")
    if num_examples > max_number + 1:
        raise ValueError(
            f"num_examples={num_examples} distinct numbers do not fit in 0..{max_number}"
        )
    languages = tuple(languages)
    if len(languages) < 2 or len(set(languages)) != len(languages):
        raise ValueError(f"languages must be at least two distinct codes, got {languages}")
    for language in languages:
        check_choice("language", language, LANGUAGE_ID_LANGUAGES)
    for name, fraction in (("valid_fraction", valid_fraction), ("test_fraction", test_fraction)):
        if not 0.0 < fraction < 0.5:
            raise ValueError(f"{name} must be in (0, 0.5), got {fraction}")

    from num2words import num2words

    rng = np.random.default_rng(seed)
    numbers = rng.choice(max_number + 1, size=num_examples, replace=False)
    labels = rng.integers(0, len(languages), size=num_examples).astype("int32")
    texts = []
    for number, label in zip(numbers.tolist(), labels.tolist()):
        text = num2words(number, lang=languages[label])
        start = int(rng.integers(0, max(1, len(text) - window + 1)))
        texts.append(text[start : start + window])
    vocab = Vocabulary(sorted({char for text in texts for char in text}))
    ids = np.zeros((num_examples, window), dtype="int32")
    for row, text in enumerate(texts):
        ids[row, window - len(text) :] = vocab.encode(text)

    num_valid = max(1, round(valid_fraction * num_examples))
    num_test = max(1, round(test_fraction * num_examples))
    bounds = np.cumsum([num_examples - num_valid - num_test, num_valid])
    splits = list(zip(np.split(ids, bounds), np.split(labels, bounds)))
    split_texts = dict(zip(SPLITS, (texts[a:b] for a, b in zip([0, *bounds], [*bounds, None]))))
    return NumberLanguageID(*splits, vocab, languages, split_texts)
