"""The layers' own time loop (`seqlib/layers/_recurrent_loop.py`) against Keras's generic one.

Each layer folds its bias into the input matmul and broadcasts its peepholes once per sequence;
`keras.layers.RNN` over the same cell (or `SimpleRNN(activation="relu")` for IRNN) runs the
cell's per-step `call`. Both must give the same outputs, states and gradients, with and
without a mask, forwards and backwards, and draw the same dropout masks from the same seed.
"""

import keras
import numpy as np
import pytest

from seqlib.layers import IRNN, CoupledLSTM, CoupledLSTMCell, PeepholeLSTM, PeepholeLSTMCell

BATCH, TIME, FEATURES, UNITS = 3, 6, 5, 4

# name: (layer factory, generic-loop factory), both taking units and RNN keyword arguments.
PAIRS = {
    "peephole": (
        PeepholeLSTM,
        lambda units, **kwargs: keras.layers.RNN(
            PeepholeLSTMCell(units, **_cell_arguments(kwargs)), **kwargs
        ),
    ),
    "coupled": (
        CoupledLSTM,
        lambda units, **kwargs: keras.layers.RNN(
            CoupledLSTMCell(units, **_cell_arguments(kwargs)), **kwargs
        ),
    ),
    "coupled_peepholes": (
        lambda units, **kwargs: CoupledLSTM(units, use_peepholes=True, **kwargs),
        lambda units, **kwargs: keras.layers.RNN(
            CoupledLSTMCell(units, use_peepholes=True, **_cell_arguments(kwargs)), **kwargs
        ),
    ),
    "irnn": (IRNN, lambda units, **kwargs: keras.layers.SimpleRNN(units, "relu", **kwargs)),
}


def _cell_arguments(kwargs):
    """Moves the cell's arguments out of `kwargs` (which keeps the RNN's) and returns them."""
    names = ("dropout", "recurrent_dropout", "seed")
    return {name: kwargs.pop(name) for name in names if name in kwargs}


@pytest.fixture(params=list(PAIRS))
def make_pair(request, randomize_weights):
    """`make_pair(**kwargs)`: the layer and its generic-loop twin, built with equal weights."""
    make_layer, make_generic = PAIRS[request.param]

    def make(**kwargs):
        layer, generic = make_layer(UNITS, **kwargs), make_generic(UNITS, **kwargs)
        for rnn in (layer, generic):
            rnn.build((BATCH, TIME, FEATURES))
        randomize_weights(layer, scale=0.3)  # small, so IRNN's ReLU recurrence stays bounded
        generic.set_weights(layer.get_weights())
        return layer, generic

    return make


@pytest.fixture
def inputs(rng):
    return rng.standard_normal((BATCH, TIME, FEATURES)).astype("float32")


@pytest.fixture
def mask():
    return np.arange(TIME)[None, :] < np.array([[TIME], [4], [1]])


def assert_all_close(actual, expected, rtol=1e-5, atol=1e-6):
    actual, expected = keras.tree.flatten(actual), keras.tree.flatten(expected)
    assert len(actual) == len(expected)
    for ours, theirs in zip(actual, expected):
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=rtol, atol=atol)


# With `return_sequences=False` and no `zero_output_for_mask` the layers' steps emit nothing
# and the last output is read from the final state.
@pytest.mark.parametrize("unroll", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("return_sequences", [True, False])
def test_outputs_and_states_equal_the_generic_loop(
    make_pair, inputs, mask, return_sequences, masked, go_backwards, unroll
):
    layer, generic = make_pair(
        return_sequences=return_sequences,
        return_state=True,
        go_backwards=go_backwards,
        unroll=unroll,
    )
    mask = mask if masked else None
    ours = layer(inputs, mask=mask)
    expected_shape = (BATCH, TIME, UNITS) if return_sequences else (BATCH, UNITS)
    assert np.asarray(ours[0]).shape == expected_shape
    assert_all_close(ours, generic(inputs, mask=mask))


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("return_sequences", [True, False])
def test_gradients_equal_the_generic_loop(
    make_pair, inputs, mask, return_sequences, masked, gradients
):
    layer, generic = make_pair(return_sequences=return_sequences)
    arguments = (inputs, None, mask) if masked else (inputs,)
    ours, theirs = gradients(layer, *arguments), gradients(generic, *arguments)
    assert all(np.abs(g).sum() > 0 for g in ours)
    assert_all_close(ours, theirs, rtol=1e-4)


# Leading, inner and trailing masked steps, and a fully masked row.
SPARSE_MASK = np.array(
    [[False, False, True, True, False, True], [True, False, True, True, True, False], [False] * 6]
)


@pytest.mark.parametrize("zero_output_for_mask", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_masked_steps_equal_the_generic_loop(
    make_pair, inputs, return_sequences, zero_output_for_mask
):
    layer, generic = make_pair(
        return_sequences=return_sequences,
        return_state=True,
        zero_output_for_mask=zero_output_for_mask,
    )
    assert_all_close(layer(inputs, mask=SPARSE_MASK), generic(inputs, mask=SPARSE_MASK))


@pytest.mark.parametrize("zero_output_for_mask", [False, True])
def test_masked_steps_output_the_kept_state(make_pair, inputs, rng, zero_output_for_mask):
    # A masked step keeps the states and outputs the kept `h` (the initial one before the first
    # unmasked step), or zeros under `zero_output_for_mask`. (Keras's JAX loop does the same;
    # its TensorFlow loop outputs zeros before the first unmasked step, so no generic twin.)
    layer, _ = make_pair(
        return_sequences=True, return_state=True, zero_output_for_mask=zero_output_for_mask
    )
    sizes = keras.tree.flatten(layer.cell.state_size)
    initial_state = [rng.standard_normal((BATCH, size)).astype("float32") for size in sizes]
    outputs, *states = [np.asarray(x) for x in layer(inputs, initial_state, mask=SPARSE_MASK)]
    kept = initial_state[0]
    for t in range(TIME):
        keep = SPARSE_MASK[:, t]
        expected = np.zeros_like(kept) if zero_output_for_mask else kept
        np.testing.assert_array_equal(outputs[~keep, t], expected[~keep])
        if keep.any():
            assert not np.allclose(outputs[keep, t], kept[keep])
        kept = np.where(keep[:, None], outputs[:, t], kept)
    np.testing.assert_array_equal(states[0], kept)
    for final, initial in zip(states, initial_state):
        np.testing.assert_array_equal(final[2], initial[2])  # the fully masked row


def test_dropout_masks_equal_the_generic_loop(make_pair, inputs):
    layer, generic = make_pair(return_sequences=True, dropout=0.4, recurrent_dropout=0.3, seed=5)
    training = layer(inputs, training=True)
    assert not np.allclose(np.asarray(training), np.asarray(layer(inputs)))
    assert_all_close(training, generic(inputs, training=True))
