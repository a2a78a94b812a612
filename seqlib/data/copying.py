"""The copy task as an encoder-decoder dataset: token sequences with ``<bos>``/``<eos>``."""

import dataclasses

import numpy as np

from seqlib.data._checks import check_int
from seqlib.data.synthetic import copy_task
from seqlib.data.vocab import Vocabulary, pad_sequences


@dataclasses.dataclass(frozen=True)
class CopyDataset:
    """``source`` ``(n, S)``: symbols then ``<eos>``, padded with 0; ``target`` ``(n, S + 1)``:
    ``<bos>``, the symbols in their original order, ``<eos>``; ``lengths`` ``(n,)`` the number
    of symbols; ``vocab`` maps symbol s (1..num_symbols) to the token ``str(s)``."""

    source: np.ndarray
    target: np.ndarray
    lengths: np.ndarray
    vocab: Vocabulary


def copy_vocabulary(num_symbols=8):
    """Tokens ``"1" .. str(num_symbols)``: symbol s gets id s + 3, after the special tokens."""
    num_symbols = check_int("num_symbols", num_symbols, 1)
    return Vocabulary([str(symbol) for symbol in range(1, num_symbols + 1)])


def copy_dataset(lengths, examples_per_length, num_symbols=8, reverse_source=False, seed=0):
    """``examples_per_length`` random sequences of every length in ``lengths`` to copy.

    The target is always the sequence in order; ``reverse_source=True`` feeds the encoder the
    symbols backwards (the source reversal trick of Sutskever et al. 2014) while the
    sequences themselves stay the same, so both orders can be compared on identical data.
    Sequences of length L are drawn with ``copy_task(..., seed=seed + L)``.
    """
    lengths = [check_int("length", length, 1) for length in lengths]
    if not lengths:
        raise ValueError("lengths must name at least one sequence length")
    examples_per_length = check_int("examples_per_length", examples_per_length, 1)
    vocab = copy_vocabulary(num_symbols)
    offset = vocab.unk_id  # symbol s -> id s + 3
    sources, targets, sizes = [], [], []
    for length in lengths:
        symbols, _ = copy_task(examples_per_length, length, num_symbols, seed=seed + length)
        for row in (symbols + offset).tolist():
            sources.append([*(row[::-1] if reverse_source else row), vocab.eos_id])
            targets.append([vocab.bos_id, *row, vocab.eos_id])
        sizes += [length] * examples_per_length
    return CopyDataset(
        pad_sequences(sources), pad_sequences(targets), np.array(sizes, np.int32), vocab
    )
