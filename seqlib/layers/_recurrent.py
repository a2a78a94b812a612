"""Machinery shared by the gated LSTM variants (`PeepholeLSTM`, `CoupledLSTM`).

Every gate pre-activation is `x_t W + b + h_{t-1} U` plus a cell-specific term, so the cells
share weights, dropout and the fused `(d, gates * units)` kernels and differ only in
`update_state`, which takes `h_{t-1} U` and `x_t W + b` and is pure elementwise math. The cells'
own `call` runs it batch-major, one step at a time, so they work in `keras.layers.RNN` and other
generic loops; the layers run it in their own loop (`_recurrent_loop`, feature-major on
TensorFlow), with the bias folded into the kernel and the peephole vectors broadcast to the
state's shape once per sequence.
"""

import keras
from keras import activations, constraints, initializers, ops, regularizers

from seqlib.layers._checks import check_rate, check_recurrent_call, check_units, require_rank
from seqlib.layers._keras_internals import DropoutRNNCell
from seqlib.layers._recurrent_loop import broadcast_to_state, recurrent_loop, unit_axis

# Keys of `keras.layers.Layer.get_config` that describe the cell object itself; the RNN layer
# re-creates its cell, so its own config carries only the hyperparameters.
_CELL_IDENTITY_KEYS = ("name", "trainable", "dtype")


class GatedCell(keras.layers.Layer, DropoutRNNCell):
    """Base class for LSTM-style cells with a fused `(d, gate_count * units)` kernel.

    Subclasses set `gate_count` and `forget_gate_index`, add peephole vectors in `build` with
    `add_peephole` and list them in `peepholes`, and implement
    `update_state(recurrent, projected, c_tm1, *peepholes, axis=-1) -> (h_t, c_t)`.

    Dropout follows Gal & Ghahramani: one mask per sequence on `x_t` (rate `dropout`) and one
    on `h_{t-1}` (rate `recurrent_dropout`), shared by all gates.
    """

    gate_count = None
    forget_gate_index = None

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        peephole_initializer="zeros",
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        peephole_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        peephole_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        units = check_units(units)
        dropout = check_rate(dropout, "dropout")
        recurrent_dropout = check_rate(recurrent_dropout, "recurrent_dropout")
        super().__init__(**kwargs)
        self.units = units
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.unit_forget_bias = unit_forget_bias

        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.peephole_initializer = initializers.get(peephole_initializer)

        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.peephole_regularizer = regularizers.get(peephole_regularizer)

        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.peephole_constraint = constraints.get(peephole_constraint)

        self.dropout = dropout
        self.recurrent_dropout = recurrent_dropout
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed=seed)

        self.state_size = [units, units]
        self.output_size = units

    def build(self, input_shape):
        require_rank(input_shape, 2, "cell input", "(batch, features)")
        width = self.gate_count * self.units
        self.kernel = self.add_weight(
            shape=(input_shape[-1], width),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, width),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(width,),
                name="bias",
                initializer=self._gate_bias_initializer(),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None

    def _gate_bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, forget = self.units, self.forget_gate_index

        def initializer(shape, dtype=None):
            # Forget-gate bias of one (Jozefowicz et al. 2015), the other gates as configured.
            before = self.bias_initializer((forget * units,), dtype=dtype)
            ones = ops.ones((units,), dtype=dtype)
            after = self.bias_initializer(((self.gate_count - forget - 1) * units,), dtype=dtype)
            return ops.concatenate([before, ones, after])

        return initializer

    def add_peephole(self, name):
        """Adds a diagonal peephole weight: a `(units,)` vector multiplying the cell state."""
        return self.add_weight(
            shape=(self.units,),
            name=name,
            initializer=self.peephole_initializer,
            regularizer=self.peephole_regularizer,
            constraint=self.peephole_constraint,
        )

    @property
    def peepholes(self):
        """The peephole weights, in the order `update_state` takes them."""
        return ()

    def update_state(self, recurrent, projected, c_tm1, *peepholes, axis=-1):
        """The gates from `h_{t-1} U` and `x_t W + b`; returns `(h_t, c_t)`.

        Elementwise only, so any layout works: the gate blocks lie along `axis`, which holds
        the units (`(batch, units)` tensors in `call`, `(units, batch)` in the layers' loop on
        TensorFlow), and `peepholes` (weights, or broadcast to the state's shape) match. In the
        loop `recurrent` is computed last, so terms that do not depend on it are best summed
        first (see `_recurrent_loop`).
        """
        raise NotImplementedError(f"{type(self).__name__} must implement `update_state`")

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states
        if training and self.dropout > 0.0:
            inputs = inputs * self.get_dropout_mask(inputs)
        if training and self.recurrent_dropout > 0.0:
            h_tm1 = h_tm1 * self.get_recurrent_dropout_mask(h_tm1)
        projected = ops.matmul(inputs, self.kernel)
        if self.use_bias:
            # `ops.add` with a vector lowers to `BiasAdd` on TensorFlow, whose gradient is one
            # `BiasAddGrad`; `z + bias` is a broadcasting `AddV2` with a costlier gradient.
            projected = ops.add(projected, self.bias)
        recurrent = ops.matmul(h_tm1, self.recurrent_kernel)
        h, c = self.update_state(recurrent, projected, c_tm1, *self.peepholes)
        return h, [h, c]

    def get_initial_state(self, batch_size=None):
        return [ops.zeros((batch_size, size), dtype=self.compute_dtype) for size in self.state_size]

    def get_config(self):
        config = {
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "unit_forget_bias": self.unit_forget_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "peephole_initializer": initializers.serialize(self.peephole_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "peephole_regularizer": regularizers.serialize(self.peephole_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "peephole_constraint": constraints.serialize(self.peephole_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}


class GatedRNN(keras.layers.RNN):
    """Base class for RNN layers over a `GatedCell`, modelled on `keras.layers.LSTM`.

    Subclasses build their cell and pass it to `__init__`. The layer exposes the cell's
    hyperparameters as read-only properties and serializes them flat, like `keras.layers.LSTM`.
    """

    def build(self, sequences_shape, initial_state_shape=None):
        require_rank(sequences_shape, 3, "input", "(batch, time, features)")
        super().build(sequences_shape, initial_state_shape)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        check_recurrent_call(
            sequences.shape, self.cell.kernel.shape[0], self.cell.state_size, initial_state, mask
        )
        return super().call(sequences, initial_state=initial_state, mask=mask, training=training)

    def inner_loop(self, sequences, initial_state, mask, training=False):
        cell = self.cell
        # A `(units,)` peephole times the state would broadcast at every step, and its gradient
        # be reduced over the batch at every step; this does both once.
        peepholes = [broadcast_to_state(p, initial_state[1]) for p in cell.peepholes]
        axis = unit_axis()

        def update(recurrent, projected, states):
            return list(cell.update_state(recurrent, projected, states[1], *peepholes, axis=axis))

        return recurrent_loop(self, update, sequences, initial_state, mask, training)

    @property
    def units(self):
        return self.cell.units

    @property
    def activation(self):
        return self.cell.activation

    @property
    def recurrent_activation(self):
        return self.cell.recurrent_activation

    @property
    def use_bias(self):
        return self.cell.use_bias

    @property
    def unit_forget_bias(self):
        return self.cell.unit_forget_bias

    @property
    def kernel_initializer(self):
        return self.cell.kernel_initializer

    @property
    def recurrent_initializer(self):
        return self.cell.recurrent_initializer

    @property
    def bias_initializer(self):
        return self.cell.bias_initializer

    @property
    def peephole_initializer(self):
        return self.cell.peephole_initializer

    @property
    def kernel_regularizer(self):
        return self.cell.kernel_regularizer

    @property
    def recurrent_regularizer(self):
        return self.cell.recurrent_regularizer

    @property
    def bias_regularizer(self):
        return self.cell.bias_regularizer

    @property
    def peephole_regularizer(self):
        return self.cell.peephole_regularizer

    @property
    def kernel_constraint(self):
        return self.cell.kernel_constraint

    @property
    def recurrent_constraint(self):
        return self.cell.recurrent_constraint

    @property
    def bias_constraint(self):
        return self.cell.bias_constraint

    @property
    def peephole_constraint(self):
        return self.cell.peephole_constraint

    @property
    def dropout(self):
        return self.cell.dropout

    @property
    def recurrent_dropout(self):
        return self.cell.recurrent_dropout

    def get_config(self):
        cell_config = self.cell.get_config()
        for key in _CELL_IDENTITY_KEYS:
            cell_config.pop(key, None)
        base_config = super().get_config()
        del base_config["cell"]
        return {**base_config, **cell_config}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
