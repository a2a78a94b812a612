"""Greedy and beam-search decoding for autoregressive models.

Both decoders drive a model through a step function

    step_fn(tokens, state) -> (log_probs, new_state)

where ``tokens`` is an int32 array of shape (batch,) holding the previous token of each sequence,
``state`` is the decoder state (an array, or a nested list/tuple/dict of arrays, each with a
leading batch axis; ``None`` for stateless models) and ``log_probs`` has shape (batch, vocab).
The decoders are written in NumPy, so any backend's model can sit behind ``step_fn``.
"""

import numpy as np


def greedy_decode(step_fn, initial_state, bos_id, eos_id, max_length, pad_id=0, batch_size=None):
    """Decodes by feeding back the most likely token at each step.

    Returns an int32 array (batch, L), L <= max_length, that holds the generated tokens without
    BOS. A sequence ends with its EOS token; positions after it hold ``pad_id``. Decoding stops
    early once every sequence has produced EOS.
    """
    _check_positive("max_length", max_length)
    batch = _batch_size(initial_state, batch_size)
    tokens = np.full(batch, bos_id, np.int32)
    finished = np.zeros(batch, bool)
    state = initial_state
    steps = []
    for _ in range(max_length):
        log_probs, state = step_fn(tokens, state)
        log_probs = _as_log_probs(log_probs, batch)
        tokens = np.where(finished, pad_id, log_probs.argmax(axis=-1)).astype(np.int32)
        steps.append(tokens)
        finished |= tokens == eos_id
        if finished.all():
            break
    return np.stack(steps, axis=1)


def beam_search(
    step_fn,
    initial_state,
    bos_id,
    eos_id,
    max_length,
    beam_width=4,
    length_penalty=1.0,
    batch_size=None,
):
    """Length-normalised beam search.

    Each sequence keeps ``beam_width`` live hypotheses. At every step all one-token extensions
    are scored by their total log-probability; going through the ``2 * beam_width`` best in
    order, an extension ending in EOS becomes a finished hypothesis and any other refills the
    beam until it holds ``beam_width`` hypotheses again. A sequence is done once its
    ``beam_width`` best finished hypotheses all rank at or above its best live one (so an
    unlikely early EOS cannot end the search while a better hypothesis is still growing), or
    after ``max_length`` steps; live hypotheses left then count as finished. Hypotheses are
    ranked by the normalised score

        score(y) = log p(y | x) / lp(|y|),    lp(|y|) = |y| ** length_penalty

    where |y| counts the generated tokens including EOS. ``length_penalty=0`` ranks by raw
    log-probability, which favours short outputs; 1 ranks by the mean log-probability per
    token. ``length_penalty`` may also be a function ``lp(length)`` of the length, such as
    ``gnmt_length_penalty(alpha)``, the normaliser ((5 + |y|) / 6) ** alpha of Wu et al.
    (2016). The stopping rule is exact for raw log-probabilities; with a normaliser that grows
    with the length it is a heuristic, since a longer continuation can still score higher.

    Returns, for each batch item, up to ``beam_width`` pairs ``(ids, score)`` best first, where
    ``ids`` is an int32 array of generated tokens without BOS (ending in EOS when finished).
    """
    _check_positive("max_length", max_length)
    _check_positive("beam_width", beam_width)
    normaliser = _length_normaliser(length_penalty)
    batch = _batch_size(initial_state, batch_size)
    width = beam_width
    items = np.arange(batch)[:, None]

    # Beams are laid out item-major along the batch axis: row b * width + k is beam k of item b.
    # Every step works on all items at once; no Python loop runs over the batch.
    state = _map_arrays(lambda a: np.repeat(a, width, axis=0), initial_state)
    tokens = np.full(batch * width, bos_id, np.int32)
    scores = np.full((batch, width), -np.inf)
    scores[:, 0] = 0.0  # one live beam at the start, so the beams do not all repeat it
    sequences = np.zeros((batch, width, 0), np.int32)
    # The `width` best finished hypotheses of each item, best first (ties: first finished
    # first); only these can be returned or decide when the search is over.
    finished_scores = np.full((batch, width), -np.inf)
    finished_ids = np.zeros((batch, width, max_length), np.int32)
    finished_lengths = np.zeros((batch, width), np.int64)
    done = np.zeros(batch, bool)

    for step in range(1, max_length + 1):
        log_probs, state = step_fn(tokens, state)
        log_probs = _as_log_probs(log_probs, batch * width)
        vocab = log_probs.shape[1]
        candidates = (scores.reshape(-1, 1) + log_probs).reshape(batch, width * vocab)
        best = np.argsort(-candidates, axis=1, kind="stable")[:, : 2 * width]
        best_scores = np.take_along_axis(candidates, best, axis=1)
        best_parents, best_tokens = np.divmod(best, vocab)
        # Going through the 2 * width best extensions in order, an EOS extension finishes a
        # hypothesis and any other takes the next free beam, until `width` beams are taken
        # (at most `width` of them end in EOS, so the beams always fill while scores are
        # finite). An extension is used if fewer than `width` non-EOS ones rank above it.
        ends = best_tokens == eos_id
        taken_before = np.cumsum(~ends, axis=1) - ~ends
        used = np.isfinite(best_scores) & (taken_before < width) & ~done[:, None]
        grows = used & ~ends

        slot = np.where(grows, taken_before, width)  # column `width` collects the unused
        live_parents = _scatter(np.zeros((batch, width + 1), np.int64), slot, best_parents)
        live_tokens = _scatter(np.full((batch, width + 1), eos_id, np.int32), slot, best_tokens)
        live_scores = _scatter(np.full((batch, width + 1), -np.inf), slot, best_scores)
        parents, next_tokens = live_parents[:, :width], live_tokens[:, :width]
        next_scores = live_scores[:, :width]

        new_scores = np.where(used & ends, best_scores / normaliser(step), -np.inf)
        new_ids = np.zeros((batch, 2 * width, max_length), np.int32)
        new_ids[:, :, : step - 1] = sequences[items, best_parents]
        new_ids[:, :, step - 1] = eos_id
        finished_scores, finished_ids, finished_lengths = _keep_best(
            (finished_scores, finished_ids, finished_lengths),
            (new_scores, new_ids, np.full((batch, 2 * width), step)),
            width,
        )
        # Over once the `width` best finished hypotheses all rank at or above the best live one.
        done |= np.isfinite(finished_scores[:, -1]) & (
            finished_scores[:, -1] >= next_scores[:, 0] / normaliser(step)
        )

        rows = (items * width + parents).reshape(-1)
        state = _gather_rows(state, rows)
        sequences = np.concatenate(
            [sequences[items, parents], next_tokens[:, :, None]], axis=2
        )
        scores = next_scores
        tokens = next_tokens.reshape(-1)
        if done.all():
            break

    # Live hypotheses of unfinished items count as finished at the length reached.
    length = sequences.shape[2]
    live_ids = np.zeros((batch, width, max_length), np.int32)
    live_ids[:, :, :length] = sequences
    live_scores = np.where(done[:, None], -np.inf, scores / normaliser(length))
    finished_scores, finished_ids, finished_lengths = _keep_best(
        (finished_scores, finished_ids, finished_lengths),
        (live_scores, live_ids, np.full((batch, width), length)),
        width,
    )
    return [
        [
            (finished_ids[b, k, : finished_lengths[b, k]].copy(), float(finished_scores[b, k]))
            for k in range(width)
            if np.isfinite(finished_scores[b, k])
        ]
        for b in range(batch)
    ]


def gnmt_length_penalty(alpha=0.6):
    """The length normaliser of Wu et al. (2016), lp(|y|) = ((5 + |y|) / 6) ** alpha.

    Pass it as ``beam_search(..., length_penalty=gnmt_length_penalty(alpha))``. It equals 1 for
    a one-token output and grows more slowly than |y| ** alpha; Wu et al. tuned alpha to
    0.6-0.7 (their coverage penalty is not included).
    """
    if not np.isfinite(alpha) or alpha < 0:
        raise ValueError(f"alpha must be a non-negative number, got {alpha!r}")

    def normaliser(length):
        return ((5.0 + np.asarray(length, dtype=np.float64)) / 6.0) ** alpha

    return normaliser


def _length_normaliser(length_penalty):
    """lp(length) from an exponent alpha (length ** alpha) or a function of the length."""
    if callable(length_penalty):
        return length_penalty
    if isinstance(length_penalty, (bool, str)) or not isinstance(
        length_penalty, (int, float, np.integer, np.floating)
    ):
        raise ValueError(
            "length_penalty must be an exponent alpha (a number) or a function lp(lengths), "
            f"e.g. gnmt_length_penalty(0.6); got {length_penalty!r}"
        )
    alpha = float(length_penalty)
    return lambda length: np.asarray(length, dtype=np.float64) ** alpha


def _scatter(base, columns, values):
    """``base[b, columns[b, j]] = values[b, j]`` for every item ``b``; returns ``base``."""
    base[np.arange(len(base))[:, None], columns] = values
    return base


def _keep_best(kept, new, width):
    """Merges ``new`` (scores, ids, lengths) into ``kept``; keeps each item's ``width`` best.

    The sort is stable and ``kept`` comes first, so equal scores keep the order in which the
    hypotheses were found.
    """
    merged = [np.concatenate([old, more], axis=1) for old, more in zip(kept, new)]
    order = np.argsort(-merged[0], axis=1, kind="stable")[:, :width]
    return tuple(
        np.take_along_axis(array, order.reshape(order.shape + (1,) * (array.ndim - 2)), axis=1)
        for array in merged
    )


def _check_positive(name, value):
    if not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _as_log_probs(log_probs, rows):
    log_probs = np.asarray(log_probs, dtype=np.float64)
    if log_probs.ndim != 2 or log_probs.shape[0] != rows:
        raise ValueError(
            f"step_fn must return log-probabilities of shape (batch={rows}, vocab), "
            f"got shape {log_probs.shape}"
        )
    return log_probs


def _batch_size(state, batch_size):
    leaves = []
    _map_arrays(leaves.append, state)
    if batch_size is not None:
        _check_positive("batch_size", batch_size)
        return batch_size
    if not leaves:
        raise ValueError("batch_size is required when initial_state holds no arrays")
    sizes = {np.shape(leaf)[0] if np.ndim(leaf) else None for leaf in leaves}
    if len(sizes) != 1 or None in sizes:
        raise ValueError(
            f"every array in initial_state needs the same leading batch axis, got sizes {sizes}"
        )
    return sizes.pop()


def _gather_rows(state, rows):
    return _map_arrays(lambda array: array[rows], state)


def _map_arrays(fn, state):
    """Applies ``fn`` to every array in a nested list/tuple/dict state."""
    if state is None:
        return None
    if isinstance(state, dict):
        return {key: _map_arrays(fn, value) for key, value in state.items()}
    if isinstance(state, tuple) and hasattr(state, "_fields"):  # namedtuple
        return type(state)(*(_map_arrays(fn, value) for value in state))
    if isinstance(state, (list, tuple)):
        return type(state)(_map_arrays(fn, value) for value in state)
    return fn(np.asarray(state))
