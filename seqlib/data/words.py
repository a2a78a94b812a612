"""A word corpus of English prose every Python install ships: pydoc topics and docstrings.

Documents are the help topics of ``pydoc_data.topics`` and the docstrings (module, class and
function) of each standard-library module, split between train, valid and test exactly as
``char_corpus`` splits them (by a hash of the document's name). Text is lower-cased and cut into
words, numbers and single punctuation marks; documents are separated by ``<eos>``.
"""

import ast
import dataclasses
import re
import warnings
from collections import Counter

from seqlib.data._checks import check_int
from seqlib.data.corpus import _read_document, split_documents, split_limits
from seqlib.data.vocab import EOS, Vocabulary

_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|[0-9]+|[^\sa-z0-9]")


@dataclasses.dataclass(frozen=True)
class WordCorpus:
    """``train``, ``valid`` and ``test`` token lists and a ``vocab`` of the most frequent
    training tokens; rarer and unseen tokens encode to ``vocab.unk_id``."""

    train: list
    valid: list
    test: list
    vocab: Vocabulary


def tokenize_words(text):
    """Lower-cased words (with apostrophes), numbers and punctuation marks, in order."""
    return _TOKEN.findall(text.lower())


def _prose(name, text):
    if name.startswith("pydoc_data/"):
        return text
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(text)
    except SyntaxError:
        return ""
    kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    docstrings = (ast.get_docstring(node) for node in ast.walk(tree) if isinstance(node, kinds))
    return "\n\n".join(doc for doc in docstrings if doc)


def word_corpus(max_words=None, vocab_size=10_000):
    """Build the corpus; ``max_words`` caps the training tokens for speed.

    With ``max_words`` the valid and test lists are capped at ``HELD_OUT_FRACTION * max_words``
    tokens each (at least 1,000). The vocabulary holds the ``vocab_size`` most frequent
    training tokens (ties broken alphabetically) besides the four special tokens.
    """
    vocab_size = check_int("vocab_size", vocab_size, 1)
    limits = split_limits("max_words", max_words)

    def read(name):
        words = tokenize_words(_prose(name, _read_document(name) or ""))
        return [*words, EOS] if words else []

    tokens = {split: [token for part in parts for token in part]
              for split, parts in split_documents(read, limits).items()}
    if limits:
        tokens = {split: words[: limits[split]] for split, words in tokens.items()}
    counts = Counter(token for token in tokens["train"] if token != EOS)
    frequent = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:vocab_size]
    vocab = Vocabulary(sorted(token for token, _ in frequent))
    return WordCorpus(tokens["train"], tokens["valid"], tokens["test"], vocab)
