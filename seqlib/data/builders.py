"""tensorflow-datasets builders for the seqcourse datasets.

Each builder wraps one NumPy generator of ``seqlib.data``: its ``BuilderConfig`` carries the
generator's parameters, and the config name spells them out, so every parameter set is prepared
once under ``<data_dir>/<dataset>/<config>/<version>``. Nothing is downloaded. Builders skip
the global tfds registry: they are reached through ``seqlib.data.load``, never ``tfds.load``.
"""

import abc
import dataclasses

import numpy as np
import tensorflow_datasets as tfds

from seqlib.data._checks import check_choice, check_int
from seqlib.data.captions import digit_captions
from seqlib.data.corpus import char_corpus
from seqlib.data.digits import MODES, sequential_digits
from seqlib.data.synthetic import TEMPORAL_ORDER_CLASSES, adding_problem, copy_task, temporal_order
from seqlib.data.translation import SPLITS as TRANSLATION_SPLITS
from seqlib.data.translation import check_parameters, number_translation
from seqlib.data.vocab import Vocabulary

_BASE_CONFIG_FIELDS = {field.name for field in dataclasses.fields(tfds.core.BuilderConfig)}


def config_parameters(config):
    """The generator parameters of a config, in declaration order."""
    return {
        field.name: getattr(config, field.name)
        for field in dataclasses.fields(config)
        if field.name not in _BASE_CONFIG_FIELDS
    }


def make_config(builder_class, **parameters):
    """A config of ``builder_class`` named after its parameters; unknown names raise."""
    config_class = builder_class.CONFIG_CLASS
    known = [f.name for f in dataclasses.fields(config_class) if f.name not in _BASE_CONFIG_FIELDS]
    unknown = sorted(set(parameters) - set(known))
    if unknown:
        raise ValueError(
            f"unknown parameter(s) {unknown} for {builder_class.name!r}; expected {known}"
        )
    config = config_class(name="", **parameters)
    builder_class.check_config(config)
    config.name = "-".join(f"{key}_{value}" for key, value in config_parameters(config).items())
    return config


def _check_sizes_and_seed(config):
    check_int("num_train", config.num_train, 1)
    check_int("num_test", config.num_test, 1)
    check_int("seed", config.seed, 0)


def _split_seed(seed, split_index):
    # Split 0 uses ``seed`` itself, so load(..., seed=s) train equals the NumPy generator's
    # output for seed=s; other splits get independent streams derived from it.
    return seed if split_index == 0 else np.random.SeedSequence([seed, split_index])


def _vocab_metadata(**vocabularies):
    return {name: vocab.tokens for name, vocab in vocabularies.items()}


class _Builder(tfds.core.GeneratorBasedBuilder, skip_registration=True):
    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release."}

    @classmethod
    @abc.abstractmethod
    def check_config(cls, config):
        """Raise a clear error for bad parameters before tfds builds anything."""

    def _dataset_info(self, **kwargs):
        # Keep generation order on disk: a split reads back exactly as its generator made it.
        return self.dataset_info_from_configs(disable_shuffling=True, **kwargs)

    def _seeded_splits(self, generate, feature_names):
        """Train and test splits from ``generate(num_examples, seed)`` with independent seeds."""
        c = self.builder_config
        sizes = {"train": c.num_train, "test": c.num_test}
        return {
            split: self._generate_examples(
                dict(zip(feature_names, generate(size, _split_seed(c.seed, index))))
            )
            for index, (split, size) in enumerate(sizes.items())
        }

    def _generate_examples(self, arrays):
        """Yield ``(key, example)`` pairs from a dict of aligned arrays or lists."""
        size = len(next(iter(arrays.values())))
        for index in range(size):
            yield index, {name: values[index] for name, values in arrays.items()}


@dataclasses.dataclass(kw_only=True)
class SyntheticConfig(tfds.core.BuilderConfig):
    length: int = 100
    num_train: int = 5000
    num_test: int = 1000
    seed: int = 0


class AddingProblem(_Builder):
    """The adding problem: ``x`` (T, 2) float32, ``y`` the sum of the two marked values."""

    CONFIG_CLASS = SyntheticConfig

    @classmethod
    def check_config(cls, config):
        _check_sizes_and_seed(config)
        adding_problem(1, config.length, config.seed)

    def _info(self):
        length = self.builder_config.length
        return self._dataset_info(
            features=tfds.features.FeaturesDict(
                {
                    "x": tfds.features.Tensor(shape=(length, 2), dtype=np.float32),
                    "y": tfds.features.Scalar(dtype=np.float32),
                }
            ),
            supervised_keys=("x", "y"),
        )

    def _split_generators(self, dl_manager):
        length = self.builder_config.length
        return self._seeded_splits(lambda n, seed: adding_problem(n, length, seed), ("x", "y"))


@dataclasses.dataclass(kw_only=True)
class CopyTaskConfig(SyntheticConfig):
    length: int = 20
    num_symbols: int = 8
    reverse: bool = False


class CopyTask(_Builder):
    """Copy or reverse: ``source`` and ``target`` (T,) int32 symbols in 1..num_symbols."""

    CONFIG_CLASS = CopyTaskConfig

    @classmethod
    def check_config(cls, config):
        _check_sizes_and_seed(config)
        copy_task(1, config.length, config.num_symbols, config.reverse, config.seed)

    def _info(self):
        length = self.builder_config.length
        return self._dataset_info(
            features=tfds.features.FeaturesDict(
                {
                    "source": tfds.features.Tensor(shape=(length,), dtype=np.int32),
                    "target": tfds.features.Tensor(shape=(length,), dtype=np.int32),
                }
            ),
            supervised_keys=("source", "target"),
        )

    def _split_generators(self, dl_manager):
        c = self.builder_config
        return self._seeded_splits(
            lambda n, seed: copy_task(n, c.length, c.num_symbols, c.reverse, seed),
            ("source", "target"),
        )


class TemporalOrder(_Builder):
    """Temporal order: ``x`` (T, 6) one-hot symbols, ``y`` the class XX, XY, YX or YY."""

    CONFIG_CLASS = SyntheticConfig

    @classmethod
    def check_config(cls, config):
        _check_sizes_and_seed(config)
        temporal_order(1, config.length, config.seed)

    def _info(self):
        length = self.builder_config.length
        return self._dataset_info(
            features=tfds.features.FeaturesDict(
                {
                    "x": tfds.features.Tensor(shape=(length, 6), dtype=np.float32),
                    "y": tfds.features.ClassLabel(names=TEMPORAL_ORDER_CLASSES),
                }
            ),
            supervised_keys=("x", "y"),
        )

    def _split_generators(self, dl_manager):
        length = self.builder_config.length
        return self._seeded_splits(lambda n, seed: temporal_order(n, length, seed), ("x", "y"))


@dataclasses.dataclass(kw_only=True)
class SequentialDigitsConfig(tfds.core.BuilderConfig):
    mode: str = "pixel"
    seed: int = 0


class SequentialDigits(_Builder):
    """load_digits read pixel by pixel (``x`` (64, 1)) or row by row (``x`` (8, 8))."""

    CONFIG_CLASS = SequentialDigitsConfig

    @classmethod
    def check_config(cls, config):
        check_choice("mode", config.mode, MODES)
        check_int("seed", config.seed, 0)

    def _info(self):
        shape = (64, 1) if self.builder_config.mode == "pixel" else (8, 8)
        return self._dataset_info(
            features=tfds.features.FeaturesDict(
                {
                    "x": tfds.features.Tensor(shape=shape, dtype=np.float32),
                    "y": tfds.features.ClassLabel(num_classes=10),
                }
            ),
            supervised_keys=("x", "y"),
        )

    def _split_generators(self, dl_manager):
        c = self.builder_config
        return {
            split: self._generate_examples(
                dict(zip(("x", "y"), sequential_digits(c.mode, split, c.seed)))
            )
            for split in ("train", "test")
        }


@dataclasses.dataclass(kw_only=True)
class NumberTranslationConfig(tfds.core.BuilderConfig):
    target: str = "fr"
    source: str = "en"
    num_examples: int = 5000
    max_number: int = 9999
    seed: int = 0


class NumberTranslation(_Builder):
    """Number translation with unpadded ids (sources end with EOS, targets BOS ... EOS).

    ``info.metadata`` holds the ``source_vocab`` and ``target_vocab`` tokens.
    """

    CONFIG_CLASS = NumberTranslationConfig

    @classmethod
    def check_config(cls, config):
        check_parameters(config.target, config.source, config.num_examples, config.max_number)
        check_int("seed", config.seed, 0)

    def _info(self):
        ids = tfds.features.Tensor(shape=(None,), dtype=np.int32)
        return self._dataset_info(
            features=tfds.features.FeaturesDict(
                {
                    "source_ids": ids,
                    "target_ids": ids,
                    "source_text": tfds.features.Text(),
                    "target_text": tfds.features.Text(),
                }
            ),
            supervised_keys=("source_ids", "target_ids"),
            metadata=tfds.core.MetadataDict(),
        )

    def _split_generators(self, dl_manager):
        data = number_translation(**config_parameters(self.builder_config))
        self.info.metadata.update(
            _vocab_metadata(source_vocab=data.source_vocab, target_vocab=data.target_vocab)
        )
        return {
            split: self._generate_examples(
                {
                    "source_ids": _unpad(getattr(data, split)[0]),
                    "target_ids": _unpad(getattr(data, split)[1]),
                    "source_text": [source for source, _ in data.pairs_of(split)],
                    "target_text": [target for _, target in data.pairs_of(split)],
                }
            )
            for split in TRANSLATION_SPLITS
        }


def _unpad(ids):
    return [row[row != Vocabulary.pad_id] for row in ids]


@dataclasses.dataclass(kw_only=True)
class CharCorpusConfig(tfds.core.BuilderConfig):
    max_chars: int | None = 200_000
    chunk_length: int = 100


class CharCorpus(_Builder):
    """The standard-library character corpus cut into ``chunk_length`` character chunks.

    ``ids`` encode ``text`` with the train vocabulary, stored as ``info.metadata["vocab"]``.
    """

    CONFIG_CLASS = CharCorpusConfig

    @classmethod
    def check_config(cls, config):
        if config.max_chars is not None:
            check_int("max_chars", config.max_chars, 1)
        check_int("chunk_length", config.chunk_length, 1)

    def _info(self):
        return self._dataset_info(
            features=tfds.features.FeaturesDict(
                {
                    "text": tfds.features.Text(),
                    "ids": tfds.features.Tensor(shape=(None,), dtype=np.int32),
                }
            ),
            metadata=tfds.core.MetadataDict(),
        )

    def _split_generators(self, dl_manager):
        c = self.builder_config
        corpus = char_corpus(c.max_chars)
        self.info.metadata.update(_vocab_metadata(vocab=corpus.vocab))
        splits = {}
        for split in ("train", "valid", "test"):
            text = getattr(corpus, split)
            chunks = [text[i : i + c.chunk_length] for i in range(0, len(text), c.chunk_length)]
            ids = [np.array(corpus.vocab.encode(chunk), dtype=np.int32) for chunk in chunks]
            splits[split] = self._generate_examples({"text": chunks, "ids": ids})
        return splits


@dataclasses.dataclass(kw_only=True)
class DigitCaptionsConfig(tfds.core.BuilderConfig):
    num_train: int = 5000
    num_test: int = 1000
    num_digits: int = 3
    style: str = "digits"
    seed: int = 0


class DigitCaptions(_Builder):
    """Digit strips ``image`` (8, 8 * num_digits) with ``caption`` ids (BOS ... EOS, unpadded).

    ``info.metadata["vocab"]`` holds the caption vocabulary.
    """

    CONFIG_CLASS = DigitCaptionsConfig

    @classmethod
    def check_config(cls, config):
        _check_sizes_and_seed(config)
        digit_captions(1, config.num_digits, config.seed, style=config.style)

    def _info(self):
        num_digits = self.builder_config.num_digits
        return self._dataset_info(
            features=tfds.features.FeaturesDict(
                {
                    "image": tfds.features.Tensor(shape=(8, 8 * num_digits), dtype=np.float32),
                    "caption": tfds.features.Tensor(shape=(None,), dtype=np.int32),
                    "text": tfds.features.Text(),
                    "digits": tfds.features.Tensor(shape=(num_digits,), dtype=np.int32),
                }
            ),
            supervised_keys=("image", "caption"),
            metadata=tfds.core.MetadataDict(),
        )

    def _split_generators(self, dl_manager):
        c = self.builder_config
        splits = {}
        for index, (split, size) in enumerate({"train": c.num_train, "test": c.num_test}.items()):
            data = digit_captions(
                size, c.num_digits, _split_seed(c.seed, index), split=split, style=c.style
            )
            splits[split] = self._generate_examples(
                {
                    "image": data.images,
                    "caption": _unpad(data.captions),
                    "text": data.texts,
                    "digits": data.digits,
                }
            )
        self.info.metadata.update(_vocab_metadata(vocab=data.vocab))
        return splits


BUILDERS = {
    builder.name: builder
    for builder in (
        AddingProblem,
        CopyTask,
        TemporalOrder,
        SequentialDigits,
        NumberTranslation,
        CharCorpus,
        DigitCaptions,
    )
}
