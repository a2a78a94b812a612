"""scikit-learn's 8x8 handwritten digits (shipped with sklearn, no download) as sequences."""

import functools

import numpy as np

from seqlib.data._checks import check_choice

MODES = ("pixel", "row")
SPLITS = ("train", "test")
TEST_FRACTION = 0.2
# The train/test partition is fixed, independent of ``seed``, so that no seed leaks test
# images into training; ``seed`` only shuffles the order within a split.
_PARTITION_SEED = 20240


@functools.cache
def _digit_splits():
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)
    labels = digits.target.astype(np.int32)
    order = np.random.default_rng(_PARTITION_SEED).permutation(len(labels))
    num_test = int(round(TEST_FRACTION * len(labels)))
    test, train = order[:num_test], order[num_test:]
    return {"train": (images[train], labels[train]), "test": (images[test], labels[test])}


def digit_images(split="train"):
    """Images ``(n, 8, 8)`` float32 in [0, 1] and labels ``(n,)`` int32 of a fixed split."""
    check_choice("split", split, SPLITS)
    images, labels = _digit_splits()[split]
    return images.copy(), labels.copy()


def sequential_digits(mode="pixel", split="train", seed=0):
    """Digits read as sequences: pixel by pixel (64 steps of 1) or row by row (8 steps of 8).

    The 1,797 images are split once into 80% train and 20% test; ``seed`` shuffles the order.

    Returns:
        ``x`` float32 in [0, 1] of shape ``(n, 64, 1)`` (``mode="pixel"``) or ``(n, 8, 8)``
        (``mode="row"``), and labels ``y`` int32 of shape ``(n,)`` in 0..9.
    """
    check_choice("mode", mode, MODES)
    images, labels = digit_images(split)
    order = np.random.default_rng(seed).permutation(len(labels))
    images, labels = images[order], labels[order]
    if mode == "pixel":
        images = images.reshape(len(images), 64, 1)
    return images, labels
