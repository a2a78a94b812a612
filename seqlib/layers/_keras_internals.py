"""The private Keras names seqlib relies on, kept in one place.

Keras 3 exports neither name publicly. pyproject.toml pins `keras>=3.6,<4`, the release line
these paths exist in; if a new Keras moves them, this is the only module to change.

- `DropoutRNNCell`: `keras.layers.RNN` pre-computes the per-sequence dropout masks (which keeps
  the time loop stateless, as JAX needs) only for cells that are instances of this mixin.
- `get_keras_mask`: reads the mask Keras attaches to a tensor (e.g. from
  `Embedding(mask_zero=True)`) on every backend.
"""

from keras.src.backend import get_keras_mask
from keras.src.layers.rnn.dropout_rnn_cell import DropoutRNNCell

__all__ = ["DropoutRNNCell", "get_keras_mask"]
