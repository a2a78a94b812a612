"""Matplotlib helpers shared by the lessons: training curves, attention maps, gradient norms."""

import matplotlib.pyplot as plt
import numpy as np

FAST_MODE_STAMP = "SEQ_FAST=1: tiny data, not the lesson's result"


def stamp_fast_mode(figure):
    """Writes ``FAST_MODE_STAMP`` across a figure; seqlib hooks it into pyplot in fast mode."""
    figure.text(0.5, 0.5, FAST_MODE_STAMP, ha="center", va="center", rotation=20,
                fontsize=14, color="tab:red", alpha=0.35, zorder=10, gid="seqlib-fast-stamp")


def unstamp_fast_mode(figure):
    """Removes the fast-mode stamp from a figure that shows no data, such as a diagram."""
    for text in list(figure.texts):
        if text.get_gid() == "seqlib-fast-stamp":
            text.remove()


def plot_history(history, metrics=("loss",), ax=None):
    """Plots training (solid) and validation (dashed) curves per epoch.

    ``history`` is a ``keras.callbacks.History`` or its ``.history`` dict. Each metric is drawn
    with its ``val_`` twin when the history has one.
    """
    curves = getattr(history, "history", history)
    missing = [m for m in metrics if m not in curves]
    if missing:
        raise ValueError(f"history has no metric {missing}; it has {sorted(curves)}")
    ax = ax or plt.gca()
    for metric in metrics:
        epochs = np.arange(1, len(curves[metric]) + 1)
        (line,) = ax.plot(epochs, curves[metric], label=metric)
        if f"val_{metric}" in curves:
            ax.plot(epochs, curves[f"val_{metric}"], "--", color=line.get_color(),
                    label=f"val_{metric}")
    ax.set_xlabel("epoch")
    ax.legend()
    return ax


def plot_attention(weights, source_tokens, target_tokens, ax=None):
    """Draws an alignment heatmap: row i shows where output token i attended in the source."""
    weights = np.asarray(weights)
    expected = (len(target_tokens), len(source_tokens))
    if weights.shape != expected:
        raise ValueError(
            f"attention weights of shape {weights.shape} do not match "
            f"(target tokens, source tokens) = {expected}"
        )
    ax = ax or plt.gca()
    image = ax.imshow(weights, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(len(source_tokens)), [str(t) for t in source_tokens], rotation=90)
    ax.set_yticks(range(len(target_tokens)), [str(t) for t in target_tokens])
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    ax.figure.colorbar(image, ax=ax, fraction=0.046)
    return ax


def plot_gradient_norms(norms, ax=None, log=True, label=None):
    """Plots ||dL/dh_t|| against the time step t, on a log scale by default."""
    norms = np.asarray(norms, dtype=float)
    if norms.ndim != 1:
        raise ValueError(f"expected one gradient norm per time step (rank 1), got {norms.shape}")
    ax = ax or plt.gca()
    ax.plot(np.arange(len(norms)), norms, label=label)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("time step t")
    ax.set_ylabel(r"$\|\partial L / \partial h_t\|$")
    if label is not None:
        ax.legend()
    return ax
