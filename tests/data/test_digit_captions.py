import numpy as np
import pytest
from num2words import num2words

from seqlib import data
from seqlib.data.digits import digit_images


def test_strips_show_the_captioned_digits():
    captions = data.digit_captions(40, num_digits=4, seed=2, split="test")
    assert captions.images.shape == (40, 8, 32) and captions.images.dtype == np.float32
    assert captions.images.min() >= 0.0 and captions.images.max() <= 1.0
    assert captions.digits.shape == (40, 4)
    images, labels = digit_images("test")
    for strip, digits in zip(captions.images, captions.digits):
        for tile, digit in zip(np.split(strip, 4, axis=1), digits):
            assert any(np.array_equal(tile, image) for image in images[labels == digit])


def test_digit_style_captions_name_each_digit():
    captions = data.digit_captions(30, num_digits=3, seed=1)
    assert captions.captions.shape == (30, 5) and captions.captions.dtype == np.int32
    np.testing.assert_array_equal(captions.captions[:, 0], captions.vocab.bos_id)
    np.testing.assert_array_equal(captions.captions[:, -1], captions.vocab.eos_id)
    for ids, digits, text in zip(captions.captions, captions.digits, captions.texts):
        words = [data.captions.DIGIT_WORDS[d] for d in digits]
        assert captions.vocab.decode(ids) == words and text == " ".join(words)


def test_number_style_captions_read_the_strip_as_one_number():
    captions = data.digit_captions(30, num_digits=3, seed=1, style="number")
    for ids, digits, text in zip(captions.captions, captions.digits, captions.texts):
        assert text == num2words(int("".join(map(str, digits))), lang="en")
        assert captions.vocab.decode(ids) == data.tokenize_number(text, "en")
        assert captions.vocab.unk_id not in ids


def test_same_seed_same_data_and_fixed_vocabulary():
    first = data.digit_captions(10, seed=3, style="number")
    again = data.digit_captions(10, seed=3, style="number")
    other = data.digit_captions(10, seed=4, style="number")
    np.testing.assert_array_equal(first.images, again.images)
    np.testing.assert_array_equal(first.captions, again.captions)
    assert not np.array_equal(first.images, other.images)
    assert first.vocab == other.vocab


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_digits": 0}, "num_digits must be >= 1"),
        ({"style": "roman"}, "unknown style 'roman'"),
        ({"split": "valid"}, "unknown split 'valid'"),
    ],
)
def test_bad_parameters_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.digit_captions(5, **kwargs)
