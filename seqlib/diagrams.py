"""Diagrams of recurrent networks, drawn with matplotlib: an unrolled RNN, LSTM and GRU cells
(optionally coloured by the gate values of a trained layer), an encoder-decoder and attention.

``gate_activations`` replays a Keras ``LSTM`` or ``GRU`` layer's equations on an input and
returns every gate at every step, so ``draw_lstm_cell``/``draw_gru_cell`` can show what a trained
cell does at one step. The equations follow Keras's weight layout (gate order i, f, c, o for the
LSTM and z, r, h for the GRU)::

    LSTM:  i, f, o = sigma(x W + h U + b)   g = tanh(x W_c + h U_c + b_c)
           c_t = f * c_{t-1} + i * g        h_t = o * tanh(c_t)
    GRU:   z, r = sigma(x W + h U + b)      h~ = tanh(x W_h + r * (h U_h + b_rh) + b_h)
           h_t = z * h_{t-1} + (1 - z) * h~ (reset_after=True, Keras's default)
"""

import keras
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from seqlib.plotting import unstamp_fast_mode

_BOX = dict(boxstyle="round,pad=0.02,rounding_size=0.08", linewidth=1.2)
_COLORS = {"input": "#dbe9f6", "state": "#fde0c5", "output": "#d5efd5", "context": "#eadcf2"}


def _box(ax, x, y, text, kind="state", width=0.8, height=0.5, color=None, fontsize=11):
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                facecolor=color or _COLORS[kind], edgecolor="0.25", **_BOX))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)


def _arrow(ax, start, end, label=None, width=1.2, alpha=1.0, connection="arc3", shrink=14):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12,
                                 linewidth=width, alpha=alpha, color="0.2",
                                 connectionstyle=connection, shrinkA=shrink, shrinkB=shrink))
    if label:
        middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
        if abs(end[0] - start[0]) < abs(end[1] - start[1]):  # vertical: label on the right
            ax.text(middle[0] + 0.08, middle[1], label, ha="left", va="center", fontsize=9,
                    color="0.3")
        else:
            ax.text(middle[0], middle[1] + 0.06, label, ha="center", va="bottom", fontsize=9,
                    color="0.3")


def _canvas(ax, xlim, ylim, title=None):
    ax = ax or plt.gca()
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax


def draw_unrolled_rnn(steps=4, outputs="all", folded=True, ax=None):
    """Draws an RNN and its unrolling over ``steps`` time steps sharing the same weights.

    ``outputs`` is "all" (one output per step, many-to-many), "last" (many-to-one) or "none".
    """
    if outputs not in ("all", "last", "none"):
        raise ValueError(f"outputs must be 'all', 'last' or 'none', got {outputs!r}")
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    offset = 3.2 if folded else 0.0
    ax = _canvas(ax, (-0.8, offset + 1.6 * steps), (-0.6, 3.0))
    if folded:
        _box(ax, 0, 0, "$x_t$", "input")
        _box(ax, 0, 1.2, "$h_t$")
        _box(ax, 0, 2.4, "$y_t$", "output")
        _arrow(ax, (0, 0), (0, 1.2), shrink=10)
        _arrow(ax, (0, 1.2), (0, 2.4), shrink=10)
        _arrow(ax, (0.4, 1.3), (0.4, 1.1), connection="arc3,rad=-1.6", shrink=0)
        ax.text(0.75, 1.2, "$W_{hh}$", fontsize=9, va="center", color="0.3")
        ax.text(1.55, 1.2, "=", fontsize=20, ha="center", va="center")
    for t in range(1, steps + 1):
        x = offset + 1.6 * (t - 1)
        _box(ax, x, 0, f"$x_{{{t}}}$", "input")
        _box(ax, x, 1.2, f"$h_{{{t}}}$")
        _arrow(ax, (x, 0), (x, 1.2), "$W_{xh}$" if t == 1 else None, shrink=10)
        if outputs == "all" or (outputs == "last" and t == steps):
            _box(ax, x, 2.4, f"$y_{{{t}}}$", "output")
            _arrow(ax, (x, 1.2), (x, 2.4), "$W_{hy}$" if t in (1, steps) else None, shrink=10)
        start = (x - 1.6, 1.2) if t > 1 else (x - 1.1, 1.2)
        if t == 1:
            ax.text(x - 1.15, 1.2, "$h_0$", ha="right", va="center", fontsize=10)
        _arrow(ax, start, (x, 1.2), "$W_{hh}$" if t == 2 else None, shrink=12)
    unstamp_fast_mode(ax.figure)  # a diagram: nothing in it comes from (tiny) data
    return ax


def _values(gates, names):
    """Validates a one-step gate mapping: name -> scalar or vector of per-unit values."""
    if gates is None:
        return {}
    unknown = set(gates) - set(names)
    if unknown:
        raise ValueError(f"unknown gates {sorted(unknown)}; expected some of {list(names)}")
    values = {}
    for name, value in gates.items():
        value = np.asarray(value, dtype=float)
        if value.ndim > 1:
            raise ValueError(f"gate {name!r} must hold one step (a scalar or one value per unit), "
                             f"got shape {value.shape}; index the step first, e.g. gates[k][0, t]")
        values[name] = np.atleast_1d(value)
    return values


def _gate(ax, x, y, name, symbol, function, values):
    """A gate box: its symbol and function, coloured by the mean value, units as a strip."""
    low = -1.0 if function == "tanh" else 0.0
    cmap = plt.get_cmap("coolwarm" if function == "tanh" else "viridis")
    value = values.get(name)
    if value is None:
        _box(ax, x, y, f"{symbol}\n{function}", color="#f3f3f3", fontsize=10)
        return
    mean = float(value.mean())
    shade = cmap((mean - low) / (1.0 - low))
    text_color = "white" if function != "tanh" and mean < 0.6 else "black"
    ax.add_patch(FancyBboxPatch((x - 0.4, y - 0.25), 0.8, 0.5, facecolor=shade,
                                edgecolor="0.25", **_BOX))
    ax.text(x, y + 0.06, f"{symbol} {function}", ha="center", va="center", fontsize=9,
            color=text_color)
    ax.text(x, y - 0.13, f"{mean:.2f}", ha="center", va="center", fontsize=9, color=text_color,
            gid=f"gate-{name}")
    if value.size > 1:
        width = 0.8 / value.size
        for k, unit in enumerate(value):
            ax.add_patch(plt.Rectangle((x - 0.4 + k * width, y - 0.42), width, 0.1,
                                       facecolor=cmap((unit - low) / (1.0 - low)),
                                       edgecolor="none"))


def _op(ax, x, y, symbol):
    ax.add_patch(Circle((x, y), 0.16, facecolor="white", edgecolor="0.25", linewidth=1.2))
    ax.text(x, y, symbol, ha="center", va="center", fontsize=11)


def _wire(ax, points, arrow=True):
    xs, ys = zip(*points)
    ax.plot(xs[:-1] if arrow else xs, ys[:-1] if arrow else ys, color="0.2", linewidth=1.2)
    if arrow:
        ax.add_patch(FancyArrowPatch(points[-2], points[-1], arrowstyle="-|>", mutation_scale=11,
                                     color="0.2", linewidth=1.2, shrinkA=0, shrinkB=0))


def _cell_title(ax, title, values):
    if values:
        ax.set_title(title + " (colour: mean over units; strip: each unit)", fontsize=10)
    else:
        ax.set_title(title)


LSTM_GATES = ("i", "f", "o", "g")
GRU_GATES = ("z", "r", "h_tilde")


def draw_lstm_cell(gates=None, ax=None, title="LSTM cell"):
    """Draws one LSTM step; ``gates`` maps i, f, o, g to a value or one value per unit.

    With ``gates`` from ``gate_activations`` (one step: ``{k: v[0, t] for k, v in ...}``) the
    boxes show what the trained cell does at that step: sigmoid gates on a 0-1 scale, the
    candidate g on -1 to 1.
    """
    values = _values(gates, LSTM_GATES)
    ax = _canvas(ax, (-0.6, 9.6), (-1.1, 4.2))
    _cell_title(ax, title, values)
    ax.add_patch(FancyBboxPatch((0.6, -0.2), 7.8, 3.9, boxstyle="round,pad=0.05",
                                facecolor="#fafafa", edgecolor="0.6", linewidth=1))
    # The cell state runs along the top: c_t = f * c_{t-1} + i * g.
    ax.text(-0.1, 3.2, "$c_{t-1}$", ha="right", va="center")
    ax.text(9.2, 3.2, "$c_t$", ha="left", va="center")
    ax.text(-0.1, 0.2, "$h_{t-1}$", ha="right", va="center")
    ax.text(9.2, 0.2, "$h_t$", ha="left", va="center")
    ax.text(1.5, -0.9, "$x_t$", ha="center", va="center")
    _wire(ax, [(0, 3.2), (2.34, 3.2)])
    _op(ax, 2.5, 3.2, "×")
    _wire(ax, [(2.66, 3.2), (4.84, 3.2)])
    _op(ax, 5.0, 3.2, "+")
    _wire(ax, [(5.16, 3.2), (9.1, 3.2)])
    # h_{t-1} and x_t feed all four gates.
    _wire(ax, [(0, 0.2), (7.0, 0.2)], arrow=False)
    _wire(ax, [(1.5, -0.7), (1.5, 0.2)], arrow=False)
    for x in (2.5, 3.7, 5.0, 6.6):
        _wire(ax, [(x, 0.2), (x, 1.0)])
    _gate(ax, 2.5, 1.3, "f", "$f$", "σ", values)
    _gate(ax, 3.7, 1.3, "i", "$i$", "σ", values)
    _gate(ax, 5.0, 1.3, "g", "$g$", "tanh", values)
    _gate(ax, 6.6, 1.3, "o", "$o$", "σ", values)
    _wire(ax, [(2.5, 1.55), (2.5, 3.04)])
    _op(ax, 4.35, 2.3, "×")
    _wire(ax, [(3.7, 1.55), (3.7, 2.3), (4.19, 2.3)])
    _wire(ax, [(5.0, 1.55), (5.0, 2.3), (4.51, 2.3)])
    _wire(ax, [(4.35, 2.46), (4.35, 2.8), (4.9, 3.08)])
    # h_t = o * tanh(c_t)
    _box(ax, 7.7, 2.5, "tanh", color="#f3f3f3", width=0.7, height=0.35, fontsize=9)
    _wire(ax, [(7.7, 3.2), (7.7, 2.68)])
    _op(ax, 7.7, 1.3, "×")
    _wire(ax, [(7.7, 2.32), (7.7, 1.46)])
    _wire(ax, [(7.0, 1.3), (7.54, 1.3)])
    _wire(ax, [(7.7, 1.14), (7.7, 0.2), (9.1, 0.2)])
    if not values:
        unstamp_fast_mode(ax.figure)
    return ax


def draw_gru_cell(gates=None, ax=None, title="GRU cell"):
    """Draws one GRU step; ``gates`` maps z, r, h_tilde to a value or one value per unit.

    Keras's convention: h_t = z * h_{t-1} + (1 - z) * h~, so z near 1 keeps the old state.
    """
    values = _values(gates, GRU_GATES)
    ax = _canvas(ax, (-0.6, 9.6), (-1.1, 4.2))
    _cell_title(ax, title, values)
    ax.add_patch(FancyBboxPatch((0.6, -0.2), 7.8, 3.9, boxstyle="round,pad=0.05",
                                facecolor="#fafafa", edgecolor="0.6", linewidth=1))
    ax.text(-0.1, 3.2, "$h_{t-1}$", ha="right", va="center")
    ax.text(9.2, 3.2, "$h_t$", ha="left", va="center")
    ax.text(1.5, -0.9, "$x_t$", ha="center", va="center")
    # The state runs along the top: h_t = z * h_{t-1} + (1 - z) * h~.
    _wire(ax, [(0, 3.2), (3.84, 3.2)])
    _op(ax, 4.0, 3.2, "×")
    _wire(ax, [(4.16, 3.2), (6.84, 3.2)])
    _op(ax, 7.0, 3.2, "+")
    _wire(ax, [(7.16, 3.2), (9.1, 3.2)])
    # x_t and h_{t-1} feed the gates; the candidate reads x_t and the reset state r * h_{t-1}.
    _wire(ax, [(1.0, 3.2), (1.0, 0.2), (4.0, 0.2)], arrow=False)
    _wire(ax, [(1.5, -0.7), (1.5, 0.2)], arrow=False)
    _wire(ax, [(1.5, -0.45), (6.0, -0.45), (6.0, 1.05)])
    for x in (2.4, 4.0):
        _wire(ax, [(x, 0.2), (x, 1.0)])
    _gate(ax, 2.4, 1.3, "r", "$r$", "σ", values)
    _gate(ax, 4.0, 1.3, "z", "$z$", "σ", values)
    _gate(ax, 5.8, 1.3, "h_tilde", r"$\tilde h$", "tanh", values)
    # The reset gate scales what the candidate reads from h_{t-1}.
    _op(ax, 2.4, 2.3, "×")
    _wire(ax, [(2.4, 1.55), (2.4, 2.14)])
    _wire(ax, [(1.0, 2.3), (2.24, 2.3)])
    _wire(ax, [(2.56, 2.3), (3.2, 2.3), (3.2, 0.6), (5.6, 0.6), (5.6, 1.05)])
    _wire(ax, [(4.0, 1.55), (4.0, 3.04)])
    _box(ax, 5.0, 2.3, "1−", color="#f3f3f3", width=0.5, height=0.35, fontsize=9)
    _wire(ax, [(4.0, 2.3), (4.75, 2.3)])
    _op(ax, 5.8, 2.3, "×")
    _wire(ax, [(5.25, 2.3), (5.64, 2.3)])
    _wire(ax, [(5.8, 1.55), (5.8, 2.14)])
    _wire(ax, [(5.96, 2.3), (7.0, 2.3), (7.0, 3.04)])
    if not values:
        unstamp_fast_mode(ax.figure)
    return ax


def draw_encoder_decoder(source_tokens, target_tokens, ax=None, bos="<bos>", eos="<eos>"):
    """Draws a sequence-to-sequence model: the encoder reads the source into a context vector,
    the decoder starts from it and feeds each output token back as its next input."""
    source, target = [str(t) for t in source_tokens], [str(t) for t in target_tokens]
    if not source or not target:
        raise ValueError("source_tokens and target_tokens must not be empty")
    n, m = len(source), len(target)
    gap = 1.2
    ax = _canvas(ax, (-1.0, 1.3 * (n + m + 1) + 0.4), (-0.7, 3.2))
    ax.text(0.65 * (n - 1), 2.9, "encoder", ha="center", fontsize=11, weight="bold")
    for j, token in enumerate(source):
        x = 1.3 * j
        _box(ax, x, 0, token, "input", width=1.1)
        _box(ax, x, 1.2, f"$h_{{{j + 1}}}$")
        _arrow(ax, (x, 0), (x, 1.2), shrink=10)
        if j:
            _arrow(ax, (x - 1.3, 1.2), (x, 1.2), shrink=14)
    context_x = 1.3 * (n - 1) + gap
    _box(ax, context_x, 1.2, "$c$", "context", width=0.6)
    _arrow(ax, (1.3 * (n - 1), 1.2), (context_x, 1.2), shrink=14)
    start = context_x + gap
    ax.text(start + 0.65 * (m - 1 + 1), 2.9, "decoder", ha="center", fontsize=11, weight="bold")
    inputs, outputs = [bos] + target, target + [eos]
    for i, (token_in, token_out) in enumerate(zip(inputs, outputs)):
        x = start + 1.3 * i
        _box(ax, x, 0, token_in, "input", width=1.1)
        _box(ax, x, 1.2, f"$s_{{{i + 1}}}$")
        _box(ax, x, 2.4, token_out, "output", width=1.1)
        _arrow(ax, (x, 0), (x, 1.2), shrink=10)
        _arrow(ax, (x, 1.2), (x, 2.4), shrink=10)
        _arrow(ax, (x - 1.3 if i else context_x, 1.2), (x, 1.2), shrink=14)
        if i + 1 < len(inputs):  # the output is the next step's input
            _arrow(ax, (x + 0.55, 2.4), (x + 1.3 - 0.55, 0), alpha=0.4, shrink=2,
                   connection="arc3,rad=-0.25")
    unstamp_fast_mode(ax.figure)
    return ax


def draw_attention(weights, source_tokens, target_tokens, step=0, ax=None):
    """Draws one decoder step of attention: context c_i = sum_j alpha_ij h_j.

    ``weights`` has shape (target tokens, source tokens), as ``plotting.plot_attention``; line
    widths and labels show row ``step``.
    """
    weights = np.asarray(weights, dtype=float)
    expected = (len(target_tokens), len(source_tokens))
    if weights.shape != expected:
        raise ValueError(f"attention weights of shape {weights.shape} do not match "
                         f"(target tokens, source tokens) = {expected}")
    if not 0 <= step < len(target_tokens):
        raise ValueError(f"step {step} is outside the {len(target_tokens)} output steps")
    n = len(source_tokens)
    ax = _canvas(ax, (-0.8, 1.3 * n), (-0.7, 4.4),
                 title=f"attention while writing {target_tokens[step]!r}")
    middle = 1.3 * (n - 1) / 2
    _box(ax, middle, 2.6, f"$c_{{{step + 1}}}$", "context", width=0.7)
    _box(ax, middle, 3.8, f"$s_{{{step + 1}}}$ → {target_tokens[step]}", "output", width=1.8)
    _arrow(ax, (middle, 2.6), (middle, 3.8), shrink=12)
    for j, token in enumerate(source_tokens):
        x = 1.3 * j
        alpha = weights[step, j]
        _box(ax, x, 0, str(token), "input", width=1.1)
        _box(ax, x, 1.1, f"$h_{{{j + 1}}}$")
        _arrow(ax, (x, 0), (x, 1.1), shrink=10)
        _arrow(ax, (x, 1.1), (middle, 2.6), width=0.5 + 6 * alpha, alpha=0.25 + 0.75 * alpha)
        # Beside the box, on the side away from its arrow.
        left = x < middle
        ax.text(x - 0.42 if left else x + 0.42, 1.45, f"{alpha:.2f}",
                ha="right" if left else "left", fontsize=9, color="tab:purple", gid=f"alpha-{j}")
    return ax


def gate_activations(layer, inputs):
    """Replays a built Keras ``LSTM``/``GRU`` layer (or cell) on ``inputs`` (batch, time, features)
    and returns its gates and states per step, each of shape (batch, time, units).

    LSTM: i, f, o, g, c, h. GRU: z, r, h_tilde, h. Initial states are zeros.
    """
    cell = getattr(layer, "cell", layer)
    if not isinstance(cell, (keras.layers.LSTMCell, keras.layers.GRUCell)):
        raise ValueError(f"gate_activations reads keras LSTM or GRU layers, got "
                         f"{type(layer).__name__}")
    if not cell.built:
        raise ValueError(f"{type(layer).__name__} has no weights yet; call it on data first")
    x = np.asarray(inputs, dtype="float32")
    if x.ndim != 3 or x.shape[-1] != cell.kernel.shape[0]:
        raise ValueError(f"inputs must have shape (batch, time, {cell.kernel.shape[0]}), "
                         f"got {x.shape}")
    ops = keras.ops
    kernel, recurrent = cell.kernel, cell.recurrent_kernel
    units = cell.units
    h = ops.zeros((x.shape[0], units))
    c = ops.zeros((x.shape[0], units))
    trace = {}
    for t in range(x.shape[1]):
        x_t = ops.convert_to_tensor(x[:, t])
        if isinstance(cell, keras.layers.LSTMCell):
            z = ops.matmul(x_t, kernel) + ops.matmul(h, recurrent)
            if cell.use_bias:
                z = z + cell.bias
            z_i, z_f, z_c, z_o = ops.split(z, 4, axis=-1)
            i, f, o = (cell.recurrent_activation(v) for v in (z_i, z_f, z_o))
            g = cell.activation(z_c)
            c = f * c + i * g
            h = o * cell.activation(c)
            step = {"i": i, "f": f, "o": o, "g": g, "c": c, "h": h}
        else:
            step, h = _gru_step(cell, x_t, h)
        for name, value in step.items():
            trace.setdefault(name, []).append(ops.convert_to_numpy(value))
    return {name: np.stack(values, axis=1) for name, values in trace.items()}


def _gru_step(cell, x_t, h):
    ops = keras.ops
    x_proj = ops.matmul(x_t, cell.kernel)
    input_bias, recurrent_bias = 0.0, 0.0
    if cell.use_bias:
        if cell.reset_after:
            input_bias, recurrent_bias = cell.bias[0], cell.bias[1]
        else:
            input_bias = cell.bias
    x_z, x_r, x_h = ops.split(x_proj + input_bias, 3, axis=-1)
    u_z, u_r, u_h = ops.split(cell.recurrent_kernel, 3, axis=-1)
    z = cell.recurrent_activation(x_z + ops.matmul(h, u_z) + _part(recurrent_bias, 0))
    r = cell.recurrent_activation(x_r + ops.matmul(h, u_r) + _part(recurrent_bias, 1))
    if cell.reset_after:
        h_tilde = cell.activation(x_h + r * (ops.matmul(h, u_h) + _part(recurrent_bias, 2)))
    else:
        h_tilde = cell.activation(x_h + ops.matmul(r * h, u_h))
    h = z * h + (1.0 - z) * h_tilde
    return {"z": z, "r": r, "h_tilde": h_tilde, "h": h}, h


def _part(bias, index):
    # One third of a recurrent bias of shape (3 * units,), or 0 without one.
    if isinstance(bias, float):
        return bias
    return keras.ops.split(bias, 3, axis=-1)[index]
