"""Shape validation shared by the seqlib layers.

Checks run on static shapes before any backend op, so a caller who passes the wrong tensor gets
a message naming the argument and the expected layout instead of a backend traceback.
"""


def require_rank(shape, ranks, name, layout):
    """Raises `ValueError` unless `shape` has one of the ranks in `ranks`.

    Args:
        shape: The static shape (tuple) to check.
        ranks: An int or a tuple of allowed ranks.
        name: How the message names the tensor, e.g. `"input"` or `"query"`.
        layout: The expected layout, e.g. `"(batch, time, features)"`.
    """
    ranks = (ranks,) if isinstance(ranks, int) else tuple(ranks)
    if len(shape) not in ranks:
        expected = " or ".join(str(rank) for rank in ranks)
        raise ValueError(
            f"expected {name} of rank {expected} {layout}, got rank {len(shape)} "
            f"with shape {tuple(shape)}"
        )


def require_dim(actual, expected, description):
    """Raises `ValueError` when two static sizes are both known and differ."""
    if actual is not None and expected is not None and actual != expected:
        raise ValueError(f"expected {description} of {expected}, got {actual}")
