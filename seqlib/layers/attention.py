"""Additive attention (Bahdanau, Cho & Bengio 2015)."""

import keras
from keras import ops

from seqlib.layers._checks import check_units, require_dim, require_rank
from seqlib.layers._keras_internals import get_keras_mask

_QUERY_LAYOUT = "(batch, query_features) or (batch, query_time, query_features)"
_VALUES_LAYOUT = "(batch, value_time, value_features)"


@keras.saving.register_keras_serializable(package="seqlib")
class BahdanauAttention(keras.layers.Layer):
    """Additive attention: a one-hidden-layer MLP scores each query against each value.

    For a query `q_i` and values `h_1 .. h_Tv`, with `W` `(query_features, units)`,
    `U` `(value_features, units)` and `v` `(units,)`:

    ```
    k_j    = U h_j                                  (the keys, once per source sequence)
    e_ij   = v^T tanh(W q_i + k_j)
    a_ij   = exp(e_ij) / sum_{j' unmasked} exp(e_ij')   (0 where h_j is masked)
    c_i    = sum_j a_ij h_j
    ```

    The keys do not depend on the query, so a decoder that attends to the same source at
    every step computes them once with `compute_keys(values)` and passes `keys=` to each call.
    The softmax runs in at least float32: in float32 under a mixed-precision policy, in float64
    under a float64 one. A query row whose values are all masked gets zero weights and a zero
    context.

    Args:
        units: Positive integer, width of the scoring MLP.
        kernel_initializer, kernel_regularizer, kernel_constraint: For `W`, `U` and `v`.

    Call arguments:
        query: `(batch, query_features)` for one decoder step, or
            `(batch, query_time, query_features)` for a whole target sequence.
        values: `(batch, value_time, value_features)`, the encoder outputs `h_j`.
        keys: Optional `(batch, value_time, units)` from `compute_keys(values)`.
        mask: Optional boolean `(batch, value_time)`, `True` for real values. When omitted,
            the Keras mask carried by `values` (e.g. from `Embedding(mask_zero=True)`) is used.

    Returns:
        `(context, weights)`: context `(batch, value_features)` and weights
        `(batch, value_time)` for a 2-D query; `(batch, query_time, value_features)` and
        `(batch, query_time, value_time)` for a 3-D query.

    Example:

    >>> attention = BahdanauAttention(16)
    >>> encoder_outputs = np.zeros((2, 7, 32), "float32")
    >>> keys = attention.compute_keys(encoder_outputs)
    >>> context, weights = attention(np.zeros((2, 8)), encoder_outputs, keys=keys)
    >>> context.shape, weights.shape
    ((2, 32), (2, 7))
    """

    def __init__(
        self,
        units,
        kernel_initializer="glorot_uniform",
        kernel_regularizer=None,
        kernel_constraint=None,
        **kwargs,
    ):
        units = check_units(units)
        super().__init__(**kwargs)
        self.units = units
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        dense_args = {
            "use_bias": False,
            "kernel_initializer": self.kernel_initializer,
            "kernel_regularizer": self.kernel_regularizer,
            "kernel_constraint": self.kernel_constraint,
            "dtype": self.dtype_policy,
        }
        self.query_projection = keras.layers.Dense(units, name="query_projection", **dense_args)
        self.key_projection = keras.layers.Dense(units, name="key_projection", **dense_args)
        self.score_projection = keras.layers.Dense(1, name="score_projection", **dense_args)
        # The output context carries the query's time mask, not the values' mask.
        self.supports_masking = True

    def build(self, query_shape, values_shape):
        require_rank(query_shape, (2, 3), "query", _QUERY_LAYOUT)
        require_rank(values_shape, 3, "values", _VALUES_LAYOUT)
        self._build_keys(values_shape)
        self.query_projection.build(query_shape)
        self.score_projection.build(tuple(query_shape[:-1]) + (self.units,))

    def _build_keys(self, values_shape):
        if not self.key_projection.built:
            self.key_projection.build(values_shape)

    def compute_keys(self, values):
        """The keys `U h_j`, `(batch, value_time, units)`, to reuse across decoder steps."""
        values = ops.convert_to_tensor(values)
        require_rank(values.shape, 3, "values", _VALUES_LAYOUT)
        self._build_keys(values.shape)
        return self.key_projection(values)

    def call(self, query, values, keys=None, mask=None):
        require_rank(query.shape, (2, 3), "query", _QUERY_LAYOUT)
        require_rank(values.shape, 3, "values", _VALUES_LAYOUT)
        require_dim(query.shape[0], values.shape[0], "query batch size equal to values'")
        if mask is None:
            mask = get_keras_mask(values)
        if mask is not None:
            _check_mask(mask.shape, values.shape)
        if keys is None:
            keys = self.key_projection(values)
        else:
            require_rank(keys.shape, 3, "keys", "(batch, value_time, units)")
            require_dim(keys.shape[0], values.shape[0], "keys batch size equal to values'")
            require_dim(keys.shape[1], values.shape[1], "keys time steps equal to values'")
            require_dim(keys.shape[2], self.units, "keys width (the layer's units)")

        single_query = len(query.shape) == 2
        if single_query:
            query = ops.expand_dims(query, axis=1)
        # (batch, Tq, 1, units) + (batch, 1, Tv, units) -> scores (batch, Tq, Tv)
        hidden = ops.tanh(
            ops.expand_dims(self.query_projection(query), axis=2) + ops.expand_dims(keys, axis=1)
        )
        scores = ops.squeeze(self.score_projection(hidden), axis=-1)
        weights = self._masked_softmax(scores, mask)
        context = ops.matmul(weights, values)
        if single_query:
            context = ops.squeeze(context, axis=1)
            weights = ops.squeeze(weights, axis=1)
        return context, weights

    def _masked_softmax(self, scores, mask):
        # float16/bfloat16 scores are promoted to float32; float32 and float64 keep their type.
        scores = ops.cast(scores, keras.backend.result_type(self.compute_dtype, "float32"))
        if mask is None:
            weights = ops.softmax(scores, axis=-1)
        else:
            mask = ops.expand_dims(ops.cast(mask, "bool"), axis=1)
            weights = ops.softmax(ops.where(mask, scores, -1e9), axis=-1)
            weights = ops.where(mask, weights, 0.0)
        return ops.cast(weights, self.compute_dtype)

    def compute_mask(self, inputs, previous_mask=None):
        # `inputs` is the query; `previous_mask` may be the values' mask, which does not apply.
        return get_keras_mask(inputs)

    def compute_output_shape(self, query_shape, values_shape, keys_shape=None):
        value_features, value_time = values_shape[-1], values_shape[1]
        leading = tuple(query_shape[:-1])
        return leading + (value_features,), leading + (value_time,)

    def get_config(self):
        config = {
            "units": self.units,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "kernel_constraint": keras.constraints.serialize(self.kernel_constraint),
        }
        return {**super().get_config(), **config}


def _check_mask(mask_shape, values_shape):
    """The mask must be `(batch, value_time)`, one flag per value."""
    expected = (values_shape[0], values_shape[1])
    if len(mask_shape) != 2 or any(
        actual is not None and wanted is not None and actual != wanted
        for actual, wanted in zip(mask_shape, expected)
    ):
        raise ValueError(
            f"expected mask of shape (batch, value_time) = {tuple(expected)} to match "
            f"values {tuple(values_shape)}, got shape {tuple(mask_shape)}"
        )
