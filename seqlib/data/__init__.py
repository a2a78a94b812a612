"""Offline datasets for seqcourse: NumPy generators and tensorflow-datasets builders.

Everything is generated locally or read from files that ship with Python and scikit-learn;
nothing is downloaded. The NumPy generators do not import TensorFlow; ``load`` imports
tensorflow-datasets on first use.
"""

from seqlib.data.captions import DigitCaptions, digit_captions
from seqlib.data.copying import CopyDataset, copy_dataset, copy_vocabulary
from seqlib.data.corpus import CharCorpus, char_corpus
from seqlib.data.digits import sequential_digits
from seqlib.data.language_id import LANGUAGE_ID_LANGUAGES, NumberLanguageID, number_language_id
from seqlib.data.loading import DATASETS, default_data_dir, load, vocabulary_from_info
from seqlib.data.synthetic import (
    TEMPORAL_ORDER_CLASSES,
    TEMPORAL_ORDER_SYMBOLS,
    adding_problem,
    copy_task,
    temporal_order,
)
from seqlib.data.translation import (
    LANGUAGES,
    NumberTranslation,
    number_translation,
    render_number,
    tokenize_number,
)
from seqlib.data.vocab import SPECIAL_TOKENS, Vocabulary, pad_sequences
from seqlib.data.words import WordCorpus, tokenize_words, word_corpus

__all__ = [
    "DATASETS",
    "LANGUAGES",
    "LANGUAGE_ID_LANGUAGES",
    "SPECIAL_TOKENS",
    "TEMPORAL_ORDER_CLASSES",
    "TEMPORAL_ORDER_SYMBOLS",
    "CharCorpus",
    "CopyDataset",
    "DigitCaptions",
    "NumberLanguageID",
    "NumberTranslation",
    "Vocabulary",
    "WordCorpus",
    "adding_problem",
    "char_corpus",
    "copy_dataset",
    "copy_task",
    "copy_vocabulary",
    "default_data_dir",
    "digit_captions",
    "load",
    "number_language_id",
    "number_translation",
    "pad_sequences",
    "render_number",
    "sequential_digits",
    "temporal_order",
    "tokenize_number",
    "tokenize_words",
    "vocabulary_from_info",
    "word_corpus",
]
