"""Image captioning toy data: strips of handwritten digits captioned with their words."""

import dataclasses

import numpy as np

from seqlib.data._checks import check_choice, check_int
from seqlib.data.digits import SPLITS, digit_images
from seqlib.data.translation import render_number, tokenize_number
from seqlib.data.vocab import Vocabulary

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
STYLES = ("digits", "number")


@dataclasses.dataclass(frozen=True)
class DigitCaptions:
    """``images`` ``(n, 8, 8 * num_digits)`` float32 in [0, 1]; ``captions`` ``(n, L)`` int32
    as BOS ... EOS padded with 0; ``vocab``; ``texts`` the caption strings; ``digits``
    ``(n, num_digits)`` int32 the digit shown in each 8x8 tile, left to right."""

    images: np.ndarray
    captions: np.ndarray
    vocab: Vocabulary
    texts: list
    digits: np.ndarray


def digit_captions(num_examples, num_digits=3, seed=0, split="train", style="digits"):
    """Strips of ``num_digits`` load_digits images side by side, with English captions.

    ``style="digits"`` names each digit ("three one four"); ``style="number"`` reads the strip
    as one number ("three hundred and fourteen"), which needs tokens no single tile shows.
    Tiles come from the fixed ``split`` of ``sequential_digits``, so test strips hold only
    test images. The vocabulary covers every word the style can produce, whatever the sample.
    """
    num_examples = check_int("num_examples", num_examples, 1)
    num_digits = check_int("num_digits", num_digits, 1)
    check_choice("split", split, SPLITS)
    check_choice("style", style, STYLES)
    images, labels = digit_images(split)
    rng = np.random.default_rng(seed)
    tiles = rng.integers(0, len(labels), size=(num_examples, num_digits))
    # (n, num_digits, 8, 8) -> (n, 8, num_digits, 8) -> (n, 8, 8 * num_digits)
    strips = images[tiles].transpose(0, 2, 1, 3).reshape(num_examples, 8, 8 * num_digits)
    digits = labels[tiles]
    if style == "digits":
        texts = [" ".join(DIGIT_WORDS[d] for d in row) for row in digits.tolist()]
        vocab = Vocabulary(DIGIT_WORDS)
    else:
        numbers = [int("".join(map(str, row))) for row in digits.tolist()]
        texts = [render_number(number, "en") for number in numbers]
        vocab = Vocabulary(_english_number_words())
    captions = vocab.encode_batch(
        [tokenize_number(text, "en") for text in texts], add_bos=True, add_eos=True
    )
    return DigitCaptions(strips, captions, vocab, texts, digits.astype(np.int32))


def _english_number_words():
    # Every English number word num2words uses below 10**12; fixed so ids never depend on seed.
    samples = [*range(0, 20), *range(20, 100, 10), 101, 1000, 10**6, 10**9]
    words = {token for n in samples for token in tokenize_number(render_number(n, "en"), "en")}
    return sorted(words)
