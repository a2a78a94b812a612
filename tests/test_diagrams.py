"""seqlib.diagrams replays Keras's LSTM and GRU exactly and draws what it is given."""

import keras
import matplotlib.pyplot as plt
import numpy as np
import pytest

from seqlib import diagrams


@pytest.fixture
def ax():
    figure, ax = plt.subplots()
    yield ax
    plt.close(figure)


def texts(ax):
    return [text.get_text() for text in ax.texts]


@pytest.fixture(scope="module")
def inputs():
    return np.random.default_rng(0).normal(size=(2, 7, 3)).astype("float32")


@pytest.mark.parametrize("layer", [
    keras.layers.LSTM(5, return_sequences=True, seed=1),
    keras.layers.LSTM(5, return_sequences=True, use_bias=False, seed=1),
    keras.layers.GRU(5, return_sequences=True, seed=1),
    keras.layers.GRU(5, return_sequences=True, reset_after=False, seed=1),
], ids=["lstm", "lstm-no-bias", "gru", "gru-reset-before"])
def test_gate_activations_replay_the_keras_layer(layer, inputs):
    layer(inputs)
    # Non-zero biases, so a bias in the wrong place shows.
    layer.set_weights([w + 0.3 for w in layer.get_weights()])
    expected = keras.ops.convert_to_numpy(layer(inputs))
    gates = diagrams.gate_activations(layer, inputs)
    np.testing.assert_allclose(gates["h"], expected, atol=1e-5)
    names = {"i", "f", "o", "g", "c"} if isinstance(layer, keras.layers.LSTM) else {"z", "r",
                                                                                   "h_tilde"}
    assert names <= set(gates)
    for name in names - {"c"}:
        assert gates[name].shape == (2, 7, 5)


def test_gate_activations_reject_other_layers_and_unbuilt_ones(inputs):
    with pytest.raises(ValueError, match="LSTM or GRU layers, got SimpleRNN"):
        diagrams.gate_activations(keras.layers.SimpleRNN(3), inputs)
    with pytest.raises(ValueError, match="no weights yet"):
        diagrams.gate_activations(keras.layers.LSTM(3), inputs)
    layer = keras.layers.GRU(3)
    layer(inputs)
    with pytest.raises(ValueError, match=r"shape \(batch, time, 3\)"):
        diagrams.gate_activations(layer, inputs[0])


def test_lstm_cell_shows_each_gate_mean_and_units(ax):
    gates = {"i": [0.1, 0.3], "f": 0.95, "o": [0.5, 0.5], "g": [-0.8, 0.2]}
    diagrams.draw_lstm_cell(gates, ax=ax)
    shown = {t.get_gid(): t.get_text() for t in ax.texts if t.get_gid()}
    assert shown == {"gate-i": "0.20", "gate-f": "0.95", "gate-o": "0.50", "gate-g": "-0.30"}
    strips = [p for p in ax.patches if isinstance(p, plt.Rectangle) and p.get_width() < 0.5]
    assert len(strips) == 6  # one per unit of i, o and g; f is a scalar


def test_gru_cell_without_values_draws_labels_only(ax):
    diagrams.draw_gru_cell(ax=ax)
    assert not [t for t in ax.texts if t.get_gid()]
    assert "$h_{t-1}$" in texts(ax) and "$h_t$" in texts(ax)


def test_cell_diagrams_name_bad_gates(ax):
    with pytest.raises(ValueError, match=r"unknown gates \['z'\]"):
        diagrams.draw_lstm_cell({"z": 0.5}, ax=ax)
    with pytest.raises(ValueError, match="index the step first"):
        diagrams.draw_gru_cell({"z": np.ones((4, 3))}, ax=ax)


def test_unrolled_rnn_draws_one_state_per_step(ax):
    diagrams.draw_unrolled_rnn(steps=3, outputs="last", folded=False, ax=ax)
    assert [t for t in texts(ax) if t.startswith("$h_{")] == ["$h_{1}$", "$h_{2}$", "$h_{3}$"]
    assert [t for t in texts(ax) if t.startswith("$y_")] == ["$y_{3}$"]
    with pytest.raises(ValueError, match="outputs must be"):
        diagrams.draw_unrolled_rnn(outputs="some", ax=ax)


def test_encoder_decoder_feeds_outputs_back(ax):
    diagrams.draw_encoder_decoder(["four", "two"], ["4", "2"], ax=ax)
    shown = texts(ax)
    for token in ["four", "two", "<bos>", "<eos>", "$c$", "$s_{3}$"]:
        assert token in shown
    assert shown.count("4") == 2  # an output, then the next input
    with pytest.raises(ValueError, match="must not be empty"):
        diagrams.draw_encoder_decoder([], ["x"], ax=ax)


def test_attention_labels_the_chosen_row(ax):
    weights = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    diagrams.draw_attention(weights, ["vier", "und", "zwanzig"], ["24", "<eos>"], step=1, ax=ax)
    alphas = [t.get_text() for t in ax.texts if (t.get_gid() or "").startswith("alpha")]
    assert alphas == ["0.10", "0.10", "0.80"]
    with pytest.raises(ValueError, match=r"\(target tokens, source tokens\) = \(2, 2\)"):
        diagrams.draw_attention(weights, ["a", "b"], ["x", "y"], ax=ax)
    with pytest.raises(ValueError, match="outside the 2 output steps"):
        diagrams.draw_attention(weights, ["a", "b", "c"], ["x", "y"], step=2, ax=ax)


def test_diagrams_of_no_data_drop_the_fast_mode_stamp():
    from seqlib.plotting import FAST_MODE_STAMP, stamp_fast_mode

    def stamped_axes():
        figure, ax = plt.subplots()
        stamp_fast_mode(figure)
        return figure, ax

    for draw in (diagrams.draw_unrolled_rnn, diagrams.draw_lstm_cell, diagrams.draw_gru_cell,
                 lambda ax: diagrams.draw_encoder_decoder(["a"], ["b"], ax=ax)):
        figure, ax = stamped_axes()
        draw(ax=ax)
        assert FAST_MODE_STAMP not in [text.get_text() for text in figure.texts]
        plt.close(figure)
    # Gate values come from a (possibly tiny-data) model: the stamp stays.
    figure, ax = stamped_axes()
    diagrams.draw_lstm_cell({"i": 0.5}, ax=ax)
    assert FAST_MODE_STAMP in [text.get_text() for text in figure.texts]
    plt.close(figure)
