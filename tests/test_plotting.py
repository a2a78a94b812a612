"""seqlib.plotting draws what it is given and rejects mismatched inputs."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from seqlib import plotting


@pytest.fixture
def ax():
    figure, ax = plt.subplots()
    yield ax
    plt.close(figure)


def test_history_draws_train_and_validation_curves(ax):
    history = {"loss": [3.0, 2.0, 1.5], "val_loss": [3.1, 2.2, 1.9], "accuracy": [0.1, 0.2, 0.3]}
    plotting.plot_history(history, metrics=("loss", "accuracy"), ax=ax)
    curves = {line.get_label(): line.get_ydata().tolist() for line in ax.get_lines()}
    assert curves == {
        "loss": [3.0, 2.0, 1.5], "val_loss": [3.1, 2.2, 1.9], "accuracy": [0.1, 0.2, 0.3],
    }


def test_history_names_a_missing_metric(ax):
    with pytest.raises(ValueError, match=r"no metric \['bleu'\]"):
        plotting.plot_history({"loss": [1.0]}, metrics=("bleu",), ax=ax)


def test_attention_heatmap_labels_both_axes(ax):
    weights = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])
    plotting.plot_attention(weights, ["vier", "und"], ["4", "+", "x"], ax=ax)
    np.testing.assert_allclose(ax.images[0].get_array(), weights)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["vier", "und"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["4", "+", "x"]


def test_attention_shape_mismatch_is_reported(ax):
    with pytest.raises(ValueError, match=r"\(target tokens, source tokens\) = \(3, 2\)"):
        plotting.plot_attention(np.ones((2, 3)), ["a", "b"], ["x", "y", "z"], ax=ax)


def test_gradient_norms_use_a_log_scale(ax):
    norms = 0.9 ** np.arange(50)
    plotting.plot_gradient_norms(norms, ax=ax, label="tanh")
    assert ax.get_yscale() == "log"
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), norms)
    with pytest.raises(ValueError, match="rank 1"):
        plotting.plot_gradient_norms(np.ones((2, 3)), ax=ax)


@pytest.mark.parametrize("fast, in_notebook, stamped", [
    ("1", True, True), ("0", True, False), ("1", False, False),
])
def test_fast_mode_figures_are_stamped_in_notebooks(monkeypatch, fast, in_notebook, stamped):
    import IPython
    import matplotlib

    import seqlib

    monkeypatch.setenv("SEQ_FAST", fast)
    monkeypatch.setattr(IPython, "get_ipython", lambda: object() if in_notebook else None)
    with matplotlib.rc_context():
        seqlib._stamp_fast_mode_figures()
        seqlib._stamp_fast_mode_figures()
        figure = plt.figure()
    texts = [text.get_text() for text in figure.texts]
    plt.close(figure)
    assert texts == ([plotting.FAST_MODE_STAMP] if stamped else [])
