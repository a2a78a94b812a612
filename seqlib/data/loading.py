"""``load``: prepare a seqcourse dataset with tensorflow-datasets and return a split."""

import os
import pathlib

from seqlib.data.vocab import SPECIAL_TOKENS, Vocabulary

DATASETS = (
    "adding_problem",
    "copy_task",
    "temporal_order",
    "sequential_digits",
    "number_translation",
    "char_corpus",
    "digit_captions",
)


def default_data_dir():
    """``$SEQ_DATA_DIR``, else ``seqcourse/tensorflow_datasets`` in the user cache folder.

    The user cache is ``$XDG_CACHE_HOME`` or ``~/.cache``; tfds's own ``~/tensorflow_datasets``
    is never used implicitly.
    """
    if os.environ.get("SEQ_DATA_DIR"):
        return pathlib.Path(os.environ["SEQ_DATA_DIR"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache"
    return pathlib.Path(cache) / "seqcourse" / "tensorflow_datasets"


def builder(name, data_dir=None, **config):
    """The tfds builder of dataset ``name`` for the parameters ``config`` (not yet prepared)."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; available: {', '.join(DATASETS)}")
    # Imported here: tensorflow-datasets (and TensorFlow) load only when a builder is needed.
    from seqlib.data.builders import BUILDERS, make_config

    builder_class = BUILDERS[name]
    data_dir = default_data_dir() if data_dir is None else pathlib.Path(data_dir)
    return builder_class(data_dir=os.fspath(data_dir), config=make_config(builder_class, **config))


def load(name, split="train", data_dir=None, with_info=False, as_supervised=False, **config):
    """Prepare dataset ``name`` (generated locally, nothing downloaded) and return ``split``.

    Args:
        name: one of ``DATASETS``.
        split: a split name (``"train"``, ``"test"``, ``"valid"`` where the dataset has one) or
            any tfds split expression such as ``"train[:10%]"``.
        data_dir: where prepared data lives; defaults to ``default_data_dir()``.
        with_info: also return the ``tfds.core.DatasetInfo`` (features, split sizes, and the
            vocabularies in ``info.metadata`` for the text datasets).
        as_supervised: yield ``(input, target)`` tuples instead of feature dicts, ready for
            ``model.fit`` (every dataset except ``char_corpus``).
        **config: parameters of the dataset's generator, e.g. ``length=200, seed=1``.

    Returns:
        A ``tf.data.Dataset``, or ``(dataset, info)`` with ``with_info=True``.
    """
    import tensorflow_datasets as tfds

    dataset_builder = builder(name, data_dir, **config)
    dataset_builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(try_download_gcs=False)
    )
    available = list(dataset_builder.info.splits)
    if isinstance(split, str):
        # "train[:10%]+test" names the splits train and test.
        requested = {part.split("[")[0].strip() for part in split.split("+")}
        if not requested <= set(available):
            raise ValueError(f"unknown split {split!r} for {name!r}; available: {available}")
    if as_supervised and dataset_builder.info.supervised_keys is None:
        raise ValueError(f"{name!r} has no (input, target) pairs; use as_supervised=False")
    dataset = dataset_builder.as_dataset(split=split, as_supervised=as_supervised)
    return (dataset, dataset_builder.info) if with_info else dataset


def vocabulary_from_info(info, name="vocab"):
    """Rebuild a ``Vocabulary`` stored in a prepared dataset's ``info.metadata``.

    ``name`` is ``"vocab"`` (char_corpus, digit_captions), ``"source_vocab"`` or
    ``"target_vocab"`` (number_translation).
    """
    if not info.metadata or name not in info.metadata:
        stored = sorted(info.metadata or {})
        raise ValueError(f"no vocabulary {name!r} in this dataset's metadata; stored: {stored}")
    return Vocabulary(info.metadata[name][len(SPECIAL_TOKENS) :])
