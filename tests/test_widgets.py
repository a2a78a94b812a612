"""seqlib.widgets: static panels without a kernel, one slider with one."""

import sys

import matplotlib.pyplot as plt
import numpy as np
import pytest

from seqlib import widgets


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_softmax_with_temperature_sharpens_and_flattens():
    logits = np.array([2.0, 1.0, 0.0])
    cold, warm = (widgets.softmax_with_temperature(logits, t) for t in (0.1, 100.0))
    assert cold[0] > 0.99 and np.allclose(warm, 1 / 3, atol=0.01)
    np.testing.assert_allclose(widgets.softmax_with_temperature(logits, 1.0).sum(), 1.0)
    with pytest.raises(ValueError, match="temperature must be positive"):
        widgets.softmax_with_temperature(logits, 0.0)


def test_without_a_kernel_each_temperature_gets_a_panel():
    assert not widgets.widgets_available()
    widgets.temperature_explorer([2.0, 1.0, 0.0], ["a", "b", "\n"], temperatures=(0.5, 1.0))
    axes = plt.gcf().axes
    assert [ax.get_title().split(":")[0] for ax in axes] == ["τ = 0.5", "τ = 1"]
    assert [t.get_text() for t in axes[0].get_xticklabels()] == ["a", "b", "\\n"]
    heights = [bar.get_height() for bar in axes[1].patches]
    np.testing.assert_allclose(heights, widgets.softmax_with_temperature([2.0, 1.0, 0.0], 1.0))
    with pytest.raises(ValueError, match="one logit per token"):
        widgets.temperature_explorer([1.0, 2.0], ["a"])


def test_top_tokens_are_drawn_with_their_share_of_all_the_probability():
    logits = np.array([0.0, 3.0, 1.0, 2.0])
    widgets.temperature_explorer(logits, ["a", "b", "c", " "], temperatures=(1.0,), top=2)
    [ax] = plt.gcf().axes
    assert [t.get_text() for t in ax.get_xticklabels()] == ["b", "␣"]
    full = widgets.softmax_with_temperature(logits, 1.0)
    np.testing.assert_allclose([bar.get_height() for bar in ax.patches], full[[1, 3]])
    assert f"these 2 hold {full[[1, 3]].sum():.0%}" in ax.get_title()
    with pytest.raises(ValueError, match="top must be a positive integer"):
        widgets.temperature_explorer(logits, ["a", "b", "c", " "], top=0)


def test_without_ipywidgets_the_panels_are_static(monkeypatch):
    # A kernel, but ipywidgets is not installed: importing it fails.
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    monkeypatch.setattr(InteractiveShell, "kernel", object(), raising=False)
    monkeypatch.setattr("IPython.get_ipython", lambda: InteractiveShell.instance())
    assert not widgets.widgets_available()
    widgets.gradient_product_explorer(weights=(0.9, 1.1))
    assert len(plt.gcf().axes) == 2


def test_gradient_product_shows_w_to_the_t():
    widgets.gradient_product_explorer(weights=(0.9, 1.1), steps=50)
    titles = [ax.get_title() for ax in plt.gcf().axes]
    assert titles == ["w = 0.9: $w^{50}$ = 0.00515", "w = 1.1: $w^{50}$ = 117"]


def test_beam_width_panels_rank_hypotheses():
    # Token 3 then EOS (2) is likeliest; the step function ignores its state.
    log_probs = np.log(np.array([[1e-9, 1e-9, 0.3, 0.6, 0.1]]))

    def step_fn(tokens, state):
        return np.repeat(log_probs, len(tokens), axis=0), state

    widgets.beam_width_explorer(step_fn, np.zeros((1, 1)), bos_id=1, eos_id=2, max_length=3,
                                widths=(1, 3), detokenize=lambda ids: " ".join(map(str, ids)))
    greedy, beam = plt.gcf().axes
    assert len(greedy.patches) == 1 and len(beam.patches) == 3
    assert greedy.get_title().startswith("beam width 1")
    # Each panel labels its own hypotheses, best at the top: 3 3 3 (cut at max_length) scores
    # 3 log 0.6 / 3 = -0.51, 3 3 EOS (2 log 0.6 + log 0.3) / 3 = -0.74.
    assert [t.get_text() for t in greedy.get_yticklabels()] == ["3 3 3"]
    labels = [t.get_text() for t in beam.get_yticklabels()]
    assert labels[:2] == ["3 3 3", "3 3 2"] and len(set(labels)) == 3 and beam.yaxis_inverted()


def test_a_kernel_with_ipywidgets_gets_one_slider(monkeypatch):
    import ipywidgets
    from IPython import display

    shown = []
    monkeypatch.setattr(widgets, "widgets_available", lambda: True)
    monkeypatch.setattr(display, "display", shown.append)
    monkeypatch.setattr(plt, "show", lambda: None)
    widgets.gradient_product_explorer(weights=(0.9, 1.0, 1.1))
    [widget] = shown
    assert isinstance(widget, ipywidgets.interactive)
    slider = widget.children[0]
    assert slider.options == (0.9, 1.0, 1.1) and slider.value == 1.0


def test_seq_widgets_0_forces_static_panels(monkeypatch):
    monkeypatch.setenv("SEQ_WIDGETS", "0")
    assert not widgets.widgets_available()
