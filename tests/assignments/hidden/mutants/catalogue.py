"""Typical student bugs, as mutants of the solution notebooks (never shipped to students).

Each mutant replaces one snippet of a solution's graded cells by a buggy version. A good test
suite makes every mutant lose points; `benchmarks/mutants.py` grades them all through the grader
and prints the catch rate per assignment, and `tests/autograder/test_mutants.py` checks a sample.
"""

import copy
from dataclasses import dataclass

from autograder import notebook


@dataclass(frozen=True)
class Mutant:
    assignment: str
    function: str
    bug: str
    old: str
    new: str

    @property
    def name(self) -> str:
        return f"{self.function}: {self.bug}"


def _mutants(assignment, function, *bugs):
    return [Mutant(assignment, function, bug, old, new) for bug, old, new in bugs]


A1 = "a1_rnn_numpy"
A1_MUTANTS = [
    *_mutants(
        A1, "rnn_step_forward",
        ("Wh transposed", "h_next = np.tanh(x @ Wx + h_prev @ Wh + b)",
         "h_next = np.tanh(x @ Wx + h_prev @ Wh.T + b)"),
        ("bias forgotten", "h_next = np.tanh(x @ Wx + h_prev @ Wh + b)",
         "h_next = np.tanh(x @ Wx + h_prev @ Wh)"),
        ("ReLU instead of tanh", "h_next = np.tanh(x @ Wx + h_prev @ Wh + b)",
         "h_next = np.maximum(x @ Wx + h_prev @ Wh + b, 0.0)"),
        ("upcasts float32 to float64", "h_next = np.tanh(x @ Wx + h_prev @ Wh + b)",
         "h_next = np.tanh((x @ Wx + h_prev @ Wh + b).astype(np.float64))"),
    ),
    *_mutants(
        A1, "rnn_step_backward",
        ("tanh' = 1 - h instead of 1 - h^2", "(1.0 - h_next**2)", "(1.0 - h_next)"),
        ("dWh transposed", "dWh = h_prev.T @ da", "dWh = (h_prev.T @ da).T"),
        ("dh_prev uses Wh, not Wh^T", "dh_prev = da @ Wh.T", "dh_prev = da @ Wh"),
        ("db averaged over the batch", "db = da.sum(axis=0)", "db = da.mean(axis=0)"),
        ("dWx from h_prev", "dWx = x.T @ da", "dWx = x.T @ (dh_next * (1.0 - h_prev**2))"),
    ),
    *_mutants(
        A1, "rnn_forward",
        ("off by one in time: returns h0..h_{T-1}",
         "h_t, step_cache = rnn_step_forward(x[:, t], h_t, Wx, Wh, b)\n        states.append(h_t)",
         "states.append(h_t)\n        h_t, step_cache = rnn_step_forward(x[:, t], h_t, Wx, Wh, b)"),
        ("restarts every step from h0", "rnn_step_forward(x[:, t], h_t, Wx", "rnn_step_forward("
         "x[:, t], h0, Wx"),
        ("stacks states along the batch axis", "h = np.stack(states, axis=1)",
         "h = np.stack(states, axis=0).reshape(x.shape[0], x.shape[1], -1)"),
    ),
    *_mutants(
        A1, "rnn_backward",
        ("forgets the gradient carried from t+1", "dh[:, t] + dh_carry", "dh[:, t]"),
        ("walks forward in time", "for t in reversed(range(steps)):", "for t in range(steps):"),
        ("keeps only the last step's weight gradients",
         "dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t", "dWx, dWh, db = dWx_t, dWh_t, db_t"),
        ("dh0 is the upstream gradient of step 1", "dh0 = dh_carry", "dh0 = dh[:, 0]"),
    ),
    *_mutants(
        A1, "jacobian_product_norms",
        ("starts at Wh instead of I", "product = np.eye(Wh.shape[0])", "product = Wh.copy()"),
        ("Frobenius instead of spectral norm", "np.linalg.norm(product, 2)",
         "np.linalg.norm(product)"),
        ("multiplies by Wh^T", "product = product @ Wh", "product = product @ Wh.T @ Wh"),
    ),
    *_mutants(
        A1, "clip_by_global_norm",
        ("clips each tensor by its own norm", "clipped = [g * scale for g in grads]",
         "clipped = [g * (max_norm / max(float(np.linalg.norm(g)), max_norm)) for g in grads]"),
        ("always rescales to max_norm", "scale = max_norm / max(global_norm, max_norm)",
         "scale = max_norm / (global_norm + 1e-12)"),
        ("returns the squared norm", "global_norm = float(np.sqrt(sum(",
         "global_norm = float((sum("),
        ("upcasts float32", "clipped = [g * scale for g in grads]",
         "clipped = [np.asarray(g, np.float64) * scale for g in grads]"),
        ("norm of the first tensor only", "for g in grads)))", "for g in grads[:1])))"),
    ),
]

A2 = "a2_gated_cells"
A2_MUTANTS = [
    *_mutants(
        A2, "LSTMCell",
        ("gate order i, f, o, g", "z_i, z_f, z_g, z_o = ops.split(z + self.bias, 4, axis=-1)",
         "z_i, z_f, z_o, z_g = ops.split(z + self.bias, 4, axis=-1)"),
        ("forget bias not set to one",
         "keras.initializers.Ones()((self.units,), dtype=dtype),",
         "self.bias_initializer((self.units,), dtype=dtype),"),
        ("ones on the input gate's bias",
         "self.bias_initializer((self.units,), dtype=dtype),\n"
         "                        keras.initializers.Ones()((self.units,), dtype=dtype),",
         "keras.initializers.Ones()((self.units,), dtype=dtype),\n"
         "                        self.bias_initializer((self.units,), dtype=dtype),"),
        ("h from the previous cell state", "h = ops.sigmoid(z_o) * ops.tanh(c)",
         "h = ops.sigmoid(z_o) * ops.tanh(c_prev)"),
        ("no tanh on the cell state", "h = ops.sigmoid(z_o) * ops.tanh(c)",
         "h = ops.sigmoid(z_o) * c"),
        ("sigmoid candidate", "ops.sigmoid(z_i) * ops.tanh(z_g)",
         "ops.sigmoid(z_i) * ops.sigmoid(z_g)"),
        ("states returned as [c, h]", "return h, [h, c]", "return h, [c, h]"),
        ("recurrent kernel from kernel_initializer",
         "shape=(self.units, 4 * self.units),\n            initializer=self.recurrent_initializer,",
         "shape=(self.units, 4 * self.units),\n            initializer=self.kernel_initializer,"),
        ("subclasses keras.layers.LSTMCell", "class LSTMCell(keras.layers.Layer):",
         "class LSTMCell(keras.layers.LSTMCell):"),
    ),
    *_mutants(
        A2, "GRUCell",
        ("update gate convention swapped", "h = z * h_prev + (1.0 - z) * h_tilde",
         "h = (1.0 - z) * h_prev + z * h_tilde"),
        ("reset gate ignored", "h_tilde = ops.tanh(x_h + r * u_h)",
         "h_tilde = ops.tanh(x_h + u_h)"),
        ("input bias used for the recurrent part",
         "ops.matmul(h_prev, self.recurrent_kernel) + self.bias[1]",
         "ops.matmul(h_prev, self.recurrent_kernel) + self.bias[0]"),
        ("gates z and r swapped",
         "z = ops.sigmoid(x_z + u_z)\n        r = ops.sigmoid(x_r + u_r)",
         "z = ops.sigmoid(x_r + u_r)\n        r = ops.sigmoid(x_z + u_z)"),
        ("get_config forgets bias_initializer",
         '"bias_initializer": keras.initializers.serialize(self.bias_initializer),\n'
         "        }\n        ### END SOLUTION",
         "}\n        ### END SOLUTION"),
        ("one bias row", "shape=(2, 3 * self.units), initializer=self.bias_initializer",
         "shape=(3 * self.units,), initializer=self.bias_initializer"),
    ),
]

A3 = "a3_char_lm"
A3_MUTANTS = [
    *_mutants(
        A3, "make_windows",
        ("targets not shifted", "(chunks[:, :-1], chunks[:, 1:])",
         "(chunks[:, :-1], chunks[:, :-1])"),
        ("windows do not share their boundary id",
         "starts = np.arange(num_windows)[:, None] * window",
         "starts = np.arange((len(ids) - 1) // (window + 1))[:, None] * (window + 1)"),
        ("drops the last short batch", "return dataset.batch(batch_size)",
         "return dataset.batch(batch_size, drop_remainder=True)"),
        ("ignores the seed", "dataset = dataset.shuffle(num_windows, seed=seed)",
         "dataset = dataset.shuffle(num_windows)"),
        ("int64 ids", "chunks = ids[starts + np.arange(window + 1)].astype(np.int32)",
         "chunks = ids[starts + np.arange(window + 1)].astype(np.int64)"),
    ),
    *_mutants(
        A3, "sample_with_temperature",
        ("multiplies by the temperature",
         "scaled = (logits - logits.max(axis=-1, keepdims=True)) / temperature",
         "scaled = (logits - logits.max(axis=-1, keepdims=True)) * temperature"),
        ("global NumPy random state instead of rng", "noise = rng.gumbel(size=logits.shape)",
         "noise = np.random.gumbel(size=logits.shape)"),
        ("Gumbel noise subtracted", "return np.argmax(scaled + noise, axis=-1)",
         "return np.argmax(scaled - noise, axis=-1)"),
        ("softmax over the batch axis",
         "noise = rng.gumbel(size=logits.shape)\n    return np.argmax(scaled + noise, axis=-1)"
         ".astype(np.int32)",
         "probs = np.exp(scaled) / np.exp(scaled).sum(axis=0, keepdims=True)\n"
         "    cdf = np.cumsum(probs, axis=-1)\n"
         "    draws = rng.random((len(logits), 1))\n"
         "    return np.minimum((cdf < draws).sum(axis=-1), logits.shape[1] - 1).astype(np.int32)"),
        ("accepts temperature 0", "if not np.isfinite(temperature) or temperature <= 0:",
         "if not np.isfinite(temperature) or temperature < 0:"),
    ),
    *_mutants(
        A3, "mean_nll",
        ("no log-sum-exp shift", "shifted = logits - logits.max(axis=-1, keepdims=True)",
         "shifted = logits"),
        ("normalises over the time axis", "np.exp(shifted).sum(axis=-1, keepdims=True)",
         "np.exp(shifted).sum(axis=1, keepdims=True)"),
        ("sums instead of averaging", "return float(-picked.mean())",
         "return float(-picked.sum())"),
        ("log base 2", "log_probs = shifted - np.log(", "log_probs = shifted - np.log2("),
    ),
    *_mutants(
        A3, "perplexity",
        ("2 ** NLL", "return math.exp(mean_nll_nats)", "return 2.0**mean_nll_nats"),
    ),
    *_mutants(
        A3, "bits_per_character",
        ("multiplies by ln 2", "return float(mean_nll_nats) / math.log(2)",
         "return float(mean_nll_nats) * math.log(2)"),
    ),
    *_mutants(
        A3, "build_char_lm",
        ("softmax output", 'keras.layers.Dense(vocab_size, name="logits")',
         'keras.layers.Dense(vocab_size, activation="softmax", name="logits")'),
        ("bidirectional (sees the future)",
         "x = recurrent_layers[rnn_type](units, return_sequences=True, name=rnn_type)(x)",
         "x = keras.layers.Bidirectional(recurrent_layers[rnn_type](units, "
         "return_sequences=True), merge_mode=\"sum\")(x)"),
        ("always an LSTM", "x = recurrent_layers[rnn_type](units,",
         "x = keras.layers.LSTM(units,"),
        ("embedding of the wrong width", "keras.layers.Embedding(vocab_size, embedding_dim,",
         "keras.layers.Embedding(vocab_size, units,"),
    ),
    *_mutants(
        A3, "generate",
        ("special ids not forbidden", "last[special_ids] = -np.inf", "pass"),
        ("a new generator at every step",
         "ids.append(int(sample_with_temperature(last[None, :], temperature, rng)[0]))",
         "ids.append(int(sample_with_temperature(last[None, :], temperature, "
         "np.random.default_rng(seed))[0]))"),
        ("logits of the first position", "last = np.array(logits[0, -1], dtype=np.float64)",
         "last = np.array(logits[0, 0], dtype=np.float64)"),
        ("returns only the new text", 'return "".join(vocab.decode(ids))',
         'return "".join(vocab.decode(ids[len(prompt):]))'),
        ("ignores the temperature",
         "ids.append(int(sample_with_temperature(last[None, :], temperature, rng)[0]))",
         "ids.append(int(sample_with_temperature(last[None, :], 1.0, rng)[0]))"),
    ),
]

A4 = "a4_seq2seq_attention"
A4_MUTANTS = [
    *_mutants(
        A4, "LuongAttention",
        ("softmax over the query axis", "weights = ops.softmax(scores, axis=-1)",
         "weights = ops.softmax(scores, axis=1)"),
        ("mask ignored", "scores = ops.where(mask, scores, -1e9)", "scores = scores + 0 * mask"),
        ("mask inverted", "scores = ops.where(mask, scores, -1e9)",
         "scores = ops.where(mask, -1e9, scores)"),
        ("context from the keys", "context = ops.matmul(weights, values)",
         "context = ops.matmul(weights, keys)"),
        ("scaled by sqrt(d) like a Transformer",
         'scores = ops.einsum("btd,bsd->bts", query, keys)',
         'scores = ops.einsum("btd,bsd->bts", query, keys) / query.shape[-1] ** 0.5'),
        ("dot accepts different sizes", 'if self.score == "dot" and query_size != value_size:',
         "if False:"),
        ("delegates to keras.layers.Attention",
         "keys = values if self.score == \"dot\" else ops.matmul(values, self.kernel)",
         "return keras.layers.Attention()([query, values], return_attention_scores=True)\n"
         "        keys = values if self.score == \"dot\" else ops.matmul(values, self.kernel)"),
    ),
    *_mutants(
        A4, "greedy_decode",
        ("forgets EOS", "finished |= tokens == eos_id", "finished |= False"),
        ("stops when any row finished", "if finished.all():\n            break\n    return",
         "if finished.any():\n            break\n    return"),
        ("no padding after EOS", "tokens = np.where(finished, pad_id, best).astype(np.int32)",
         "tokens = best.astype(np.int32)"),
        ("feeds BOS at every step",
         "log_probs, state = step_fn(tokens, state)\n        best =",
         "log_probs, state = step_fn(np.full(batch, bos_id, np.int32), state)\n        best ="),
        ("argmin", "best = check_log_probs(log_probs, batch).argmax(axis=-1)",
         "best = check_log_probs(log_probs, batch).argmin(axis=-1)"),
        ("delegates to seqlib.decoding", "def greedy_decode(",
         "from seqlib.decoding import greedy_decode  # noqa: E402\n\n\ndef _unused_greedy("),
    ),
    *_mutants(
        A4, "beam_search",
        ("finished hypotheses not length-normalised",
         "finished[b].append((ids, float(score) / step**length_penalty))",
         "finished[b].append((ids, float(score)))"),
        ("length penalty counts tokens without EOS",
         "finished[b].append((ids, float(score) / step**length_penalty))",
         "finished[b].append((ids, float(score) / max(step - 1, 1) ** length_penalty))"),
        ("forgets EOS", "if token == eos_id:", "if False:"),
        ("does not reorder the state by parent",
         "state = map_state(lambda array, rows=rows: array[rows], state)", "pass"),
        ("keeps K instead of 2K candidates", "[:, : 2 * width]", "[:, :width]"),
        ("done as soon as K hypotheses finished",
         "done[b] = len(kept) == width and kept[0] >= best_live", "done[b] = len(kept) == width"),
        ("all K copies of BOS live at the start", "scores[:, 0] = 0.0", "scores[:, :] = 0.0"),
        ("returns more than K hypotheses", "results.append(hypotheses[:width])",
         "results.append(hypotheses)"),
        ("sorted worst first", "hypotheses.sort(key=lambda pair: -pair[1])",
         "hypotheses.sort(key=lambda pair: pair[1])"),
        ("tiles instead of repeating the state",
         "state = map_state(lambda array: np.repeat(array, width, axis=0), initial_state)",
         "state = map_state(lambda array: np.concatenate([array] * width), initial_state)"),
        ("delegates to seqlib.decoding", "def beam_search(",
         "from seqlib.decoding import beam_search  # noqa: E402\n\n\ndef _unused_beam("),
    ),
    *_mutants(
        A4, "exact_match",
        ("compares whole rows",
         "np.array_equal(_cut_after_eos(pred, eos_id), _cut_after_eos(target, eos_id))",
         "np.array_equal(pred, target)"),
        ("cuts before EOS", "return row if hits.size == 0 else row[: hits[0] + 1]",
         "return row if hits.size == 0 else row[: hits[0]]"),
        ("accepts different row counts",
         "if len(pred_ids) != len(target_ids) or len(pred_ids) == 0:", "if len(pred_ids) == 0:"),
    ),
    *_mutants(
        A4, "token_accuracy",
        ("averages per row instead of per token",
         "correct += int(np.sum(pred[:overlap] == target[:overlap]))\n        total += len(target)",
         "correct += np.sum(pred[:overlap] == target[:overlap]) / len(target)\n        total += 1"),
        ("does not cut the prediction",
         "pred, target = _cut_after_eos(pred, eos_id), _cut_after_eos(target, eos_id)",
         "target = _cut_after_eos(target, eos_id)"),
    ),
]

MUTANTS = {A1: A1_MUTANTS, A2: A2_MUTANTS, A3: A3_MUTANTS, A4: A4_MUTANTS}


def mutate(solution: dict, mutant: Mutant) -> dict:
    """A copy of the solution notebook (as read by `notebook.read_notebook`) with the bug.

    Raises:
        ValueError: the snippet does not occur exactly once in the graded cells (a stale mutant).
    """
    mutated = copy.deepcopy(solution)
    hits = [cell for cell in mutated["cells"]
            if notebook.is_graded(cell) and mutant.old in cell["source"]]
    count = sum(cell["source"].count(mutant.old) for cell in hits)
    if count != 1:
        raise ValueError(
            f"{mutant.assignment} mutant {mutant.name!r}: the snippet occurs {count} times in "
            "the graded cells, expected once"
        )
    hits[0]["source"] = hits[0]["source"].replace(mutant.old, mutant.new)
    return mutated
