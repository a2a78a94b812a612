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

MUTANTS = {A1: A1_MUTANTS}


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
