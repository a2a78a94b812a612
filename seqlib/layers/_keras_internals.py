"""The private Keras names seqlib relies on, kept in one place.

Keras 3 exports none of these publicly. pyproject.toml pins `keras>=3.6,<4`, the release line
these paths exist in; if a new Keras moves them, this is the only module to change.

- `DropoutRNNCell`: `keras.layers.RNN` pre-computes the per-sequence dropout masks (which keeps
  the time loop stateless, as JAX needs) only for cells that are instances of this mixin.
- `get_keras_mask`: reads the mask Keras attaches to a tensor (e.g. from
  `Embedding(mask_zero=True)`) on every backend.
- `rnn`: the time loop `keras.layers.RNN` itself runs on (TensorArrays and a `while_loop` with
  32 parallel iterations on TensorFlow, `lax.scan` on JAX), with masking and `go_backwards`.
  The public `keras.ops.scan` is no substitute on TensorFlow: it carries the state through
  size-1 TensorArrays and runs one iteration at a time; the same peephole LSTM step took about
  1.17x the train-step time on it as on `rnn` (batch 64, T=100, d=32, u=128, CPU).
"""

from keras.src.backend import get_keras_mask, rnn
from keras.src.layers.rnn.dropout_rnn_cell import DropoutRNNCell

__all__ = ["DropoutRNNCell", "get_keras_mask", "rnn"]
