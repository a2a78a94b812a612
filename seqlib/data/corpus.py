"""A character corpus from text every Python install ships: its standard library.

Documents are the standard library's ``.py`` files (tests and third-party packages excluded)
and the prose help topics of ``pydoc_data.topics``. Each document goes wholly to one split,
chosen by a hash of its name, so the split is stable across runs and machines running the
same Python version (another version ships different files, hence a different corpus).
"""

import dataclasses
import hashlib
import os
import sysconfig

from seqlib.data._checks import check_int
from seqlib.data.vocab import Vocabulary

# Out of every 20 hash buckets, one goes to valid and one to test.
_HASH_BUCKETS = 20
_SPLIT_OF_BUCKET = {0: "valid", 1: "test"}
_SKIPPED_DIRECTORIES = frozenset(
    {"test", "tests", "idle_test", "site-packages", "dist-packages", "__pycache__"}
)
# With ``max_chars`` the held-out splits are capped at this fraction of the training text.
HELD_OUT_FRACTION = 0.1


@dataclasses.dataclass(frozen=True)
class CharCorpus:
    """``train``, ``valid`` and ``test`` texts and a character ``vocab`` built from train.

    Characters absent from train encode to ``vocab.unk_id``.
    """

    train: str
    valid: str
    test: str
    vocab: Vocabulary


def _document_names():
    names = [f"pydoc_data/topics/{topic}" for topic in _pydoc_topics()]
    stdlib = sysconfig.get_paths()["stdlib"]
    for directory, subdirectories, files in os.walk(stdlib):
        subdirectories[:] = [name for name in subdirectories if name not in _SKIPPED_DIRECTORIES]
        for name in files:
            if name.endswith(".py"):
                names.append(os.path.relpath(os.path.join(directory, name), stdlib))
    return names


def _pydoc_topics():
    from pydoc_data.topics import topics

    return topics


def _read_document(name):
    """The document's text, or ``None`` for a file that is not valid UTF-8."""
    if name.startswith("pydoc_data/topics/"):
        return _pydoc_topics()[name.removeprefix("pydoc_data/topics/")]
    path = os.path.join(sysconfig.get_paths()["stdlib"], name)
    try:
        with open(path, encoding="utf-8") as file:
            return file.read()
    except UnicodeDecodeError:
        return None


def _hash(name):
    return int.from_bytes(hashlib.sha256(name.replace(os.sep, "/").encode()).digest()[:8], "big")


def _split_of(name):
    return _SPLIT_OF_BUCKET.get(_hash(name) % _HASH_BUCKETS, "train")


def _document_order(name):
    # A fixed shuffle that mixes code and prose, so a capped corpus is a representative sample.
    return _hash(name), name


def split_limits(name, cap):
    """Size limits per split for a corpus capped at ``cap`` training units (None: no limits).

    Valid and test are capped at ``HELD_OUT_FRACTION * cap`` units each (at least 1,000).
    """
    if cap is None:
        return {}
    cap = check_int(name, cap, 1)
    held_out = max(1000, int(HELD_OUT_FRACTION * cap))
    return {"train": cap, "valid": held_out, "test": held_out}


def split_documents(read, limits):
    """Reads documents in the fixed shuffled order into ``{split: [part, ...]}``.

    ``read(name)`` turns a document name into a part (a text, a token list); empty parts are
    skipped. A split takes parts until their total length reaches its limit in ``limits``
    (``split_limits``; empty: every document), so a capped corpus mixes code and prose.
    """
    parts = {"train": [], "valid": [], "test": []}
    sizes = dict.fromkeys(parts, 0)
    for name in sorted(_document_names(), key=_document_order):
        if limits and all(sizes[split] >= limits[split] for split in parts):
            break
        split = _split_of(name)
        if limits and sizes[split] >= limits[split]:
            continue
        part = read(name)
        if part:
            parts[split].append(part)
            sizes[split] += len(part)
    return parts


def char_corpus(max_chars=None):
    """Build the corpus; ``max_chars`` caps the training text for speed.

    Documents are visited in a fixed shuffled order, so a capped corpus mixes code and prose.
    With ``max_chars`` the valid and test texts are capped at ``HELD_OUT_FRACTION * max_chars``
    characters each (at least 1,000).
    """
    limits = split_limits("max_chars", max_chars)
    texts = split_documents(_read_document, limits)
    corpus = {split: "\n".join(parts) for split, parts in texts.items()}
    if limits:
        corpus = {split: text[: limits[split]] for split, text in corpus.items()}
    vocab = Vocabulary(sorted(set(corpus["train"])))
    return CharCorpus(corpus["train"], corpus["valid"], corpus["test"], vocab)
