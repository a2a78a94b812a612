"""Sliders for the three ideas a slider teaches better than text: sampling temperature, beam
width and the product w^T behind vanishing and exploding gradients.

In a live notebook with ipywidgets each explorer displays a slider and redraws one plot; the
choices are computed up front, so moving the slider is cheap. Elsewhere (no ipywidgets, no
kernel, or ``SEQ_WIDGETS=0`` as in the course book) it draws one static panel per choice.
"""

import os

import matplotlib.pyplot as plt
import numpy as np


def widgets_available():
    """True in a Jupyter kernel with ipywidgets installed, unless ``SEQ_WIDGETS=0``."""
    if os.environ.get("SEQ_WIDGETS", "1").strip() == "0":
        return False
    try:
        import ipywidgets  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    return getattr(get_ipython(), "kernel", None) is not None


def explore(draw, options, label, value=None, share="y"):
    """Shows ``draw(option, ax)`` for one option chosen on a slider, or for each option.

    Displays the slider itself; a static figure is left to pyplot (the notebook shows it at the
    end of the cell). The static panels share their ``share`` axis: side by side for "y",
    one above the other for "x" (room for long tick labels). Returns None, so a call ending a
    cell shows nothing twice.
    """
    options = list(options)
    if not options:
        raise ValueError("explore needs at least one option")
    if not widgets_available():
        if share == "x":
            figure, axes = plt.subplots(len(options), 1, figsize=(7, 2.0 * len(options)),
                                        squeeze=False, sharex=True)
        else:
            figure, axes = plt.subplots(1, len(options), figsize=(3.4 * len(options), 3.2),
                                        squeeze=False, sharey=True)
        for option, ax in zip(options, axes.flat):
            draw(option, ax)
            ax.label_outer()  # the shared axis is labelled once
        figure.tight_layout()
        return
    import ipywidgets
    from IPython.display import display

    def update(option):
        figure, ax = plt.subplots(figsize=(6, 3.6))
        draw(option, ax)
        plt.show()

    slider = ipywidgets.SelectionSlider(options=options, description=label,
                                        value=options[0] if value is None else value,
                                        continuous_update=False)
    display(ipywidgets.interactive(update, option=slider))


def softmax_with_temperature(logits, temperature):
    """p_tau(i) = exp(z_i / tau) / sum_j exp(z_j / tau)."""
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    scaled = np.asarray(logits, dtype=float) / temperature
    scaled -= scaled.max()
    probabilities = np.exp(scaled)
    return probabilities / probabilities.sum()


def temperature_explorer(logits, tokens, temperatures=(0.25, 0.5, 1.0, 2.0, 4.0), top=None):
    """Bar charts of the next-token distribution softmax(logits / tau) as tau changes.

    With ``top``, only the ``top`` tokens of highest logit are drawn, most likely first; their
    probabilities and the entropy are still those of the distribution over all tokens.
    """
    logits = np.asarray(logits, dtype=float)
    if logits.shape != (len(tokens),):
        raise ValueError(f"need one logit per token: {logits.shape} logits, {len(tokens)} tokens")
    if top is None:
        shown = np.arange(len(tokens))
    elif isinstance(top, (int, np.integer)) and top >= 1:
        shown = np.argsort(-logits, kind="stable")[:top]
    else:
        raise ValueError(f"top must be a positive integer or None, got {top!r}")
    # Escapes show "\n" and "\t"; a space would be invisible, so it shows as "␣".
    labels = ["␣" if str(tokens[i]) == " " else repr(str(tokens[i]))[1:-1] for i in shown]

    def draw(temperature, ax):
        probabilities = softmax_with_temperature(logits, temperature)
        entropy = -(probabilities * np.log2(np.maximum(probabilities, 1e-12))).sum()
        ax.bar(range(len(labels)), probabilities[shown], color="tab:blue")
        ax.set_xticks(range(len(labels)), labels)
        ax.set_ylim(0, 1)
        title = f"τ = {temperature:g}: entropy {entropy:.2f} bits"
        if len(shown) < len(tokens):
            title += f"\nthese {len(shown)} hold {probabilities[shown].sum():.0%}"
        ax.set_title(title, fontsize=10)
        ax.set_ylabel("probability")

    explore(draw, temperatures, "temperature", value=1.0 if 1.0 in temperatures else None)


def beam_width_explorer(step_fn, initial_state, bos_id, eos_id, max_length, detokenize=str,
                        widths=(1, 2, 4, 8), top=4, length_penalty=1.0):
    """The best ``top`` hypotheses of ``seqlib.decoding.beam_search`` for each beam width.

    ``step_fn``, ``initial_state`` and ``length_penalty`` are those of ``beam_search`` for a
    batch of one; ``detokenize(ids)`` turns a hypothesis into a label. Width 1 is greedy search.
    """
    from seqlib import decoding

    results = {}
    for width in widths:
        [hypotheses] = decoding.beam_search(step_fn, initial_state, bos_id, eos_id, max_length,
                                            beam_width=width,
                                            length_penalty=length_penalty)[:1]
        results[width] = hypotheses[:top]

    def draw(width, ax):
        hypotheses = results[width]
        scores = [score for _, score in hypotheses]
        ax.barh(range(len(hypotheses)), scores, color="tab:green")
        ax.set_yticks(range(len(hypotheses)), [detokenize(ids) for ids, _ in hypotheses])
        ax.invert_yaxis()
        ax.set_xlabel("score (length-normalised log-probability)")
        ax.set_title(f"beam width {width}: best {scores[0]:.3f}", fontsize=10)

    # Each width ranks its own hypotheses: the panels share the score axis, not the labels.
    explore(draw, widths, "beam width", share="x")


def gradient_product_explorer(weights=(0.8, 0.9, 1.0, 1.1, 1.2), steps=50):
    """The scalar picture of lesson 03: dh_T/dh_0 = w^T for h_t = w h_{t-1}, on a log scale."""
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    t = np.arange(1, steps + 1)

    def draw(w, ax):
        product = np.abs(w) ** t
        ax.semilogy(t, product, color="tab:red" if abs(w) > 1 else "tab:blue")
        ax.axhline(1.0, color="0.6", linewidth=0.8)
        ax.set_xlabel("steps back T")
        ax.set_ylabel("$|w|^T$")
        ax.set_title(f"w = {w:g}: $w^{{{steps}}}$ = {product[-1]:.3g}", fontsize=10)

    explore(draw, weights, "w", value=1.0 if 1.0 in weights else None)
