"""Keras 3 recurrent layers for seqcourse, built on `keras.ops` so they run on every backend."""

from seqlib.layers.attention import BahdanauAttention
from seqlib.layers.coupled import CoupledLSTM, CoupledLSTMCell
from seqlib.layers.irnn import IRNN
from seqlib.layers.peephole import PeepholeLSTM, PeepholeLSTMCell

__all__ = [
    "BahdanauAttention",
    "CoupledLSTM",
    "CoupledLSTMCell",
    "IRNN",
    "PeepholeLSTM",
    "PeepholeLSTMCell",
]
