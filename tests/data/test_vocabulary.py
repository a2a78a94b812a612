import numpy as np
import pytest

from seqlib.data import SPECIAL_TOKENS, Vocabulary, pad_sequences


def test_special_ids_are_fixed_and_tokens_follow_in_first_appearance_order():
    vocab = Vocabulary(["b", "a", "b", "c"])
    assert (vocab.pad_id, vocab.bos_id, vocab.eos_id, vocab.unk_id) == (0, 1, 2, 3)
    assert vocab.tokens == [*SPECIAL_TOKENS, "b", "a", "c"]
    assert len(vocab) == 7
    assert "a" in vocab and "z" not in vocab


def test_encode_adds_markers_and_maps_unknown_tokens_to_unk():
    vocab = Vocabulary(["one", "two"])
    assert vocab.encode(["two", "one", "three"], add_bos=True, add_eos=True) == [1, 5, 4, 3, 2]
    assert vocab.encode([]) == []


def test_decode_stops_at_eos_and_drops_pad_and_bos():
    vocab = Vocabulary(["one", "two"])
    assert vocab.decode([1, 5, 0, 4, 2, 5, 4]) == ["two", "one"]
    assert vocab.decode(np.array([4, 3, 5])) == ["one", "<unk>", "two"]
    tokens = ["two", "two", "one"]
    assert vocab.decode(vocab.encode(tokens, add_bos=True, add_eos=True)) == tokens


def test_character_vocabulary_encodes_strings():
    vocab = Vocabulary("hello")
    assert vocab.tokens[4:] == ["h", "e", "l", "o"]
    assert "".join(vocab.decode(vocab.encode("hole"))) == "hole"


def test_encode_batch_pads_to_the_longest_or_a_given_length():
    vocab = Vocabulary(["a", "b"])
    batch = vocab.encode_batch([["a"], ["b", "a", "b"]], add_eos=True)
    np.testing.assert_array_equal(batch, [[4, 2, 0, 0], [5, 4, 5, 2]])
    assert batch.dtype == np.int32
    assert vocab.encode_batch([["a"]], length=3).shape == (1, 3)
    with pytest.raises(ValueError, match="more than length=1"):
        pad_sequences([[1, 2]], length=1)


@pytest.mark.parametrize(
    "tokens, message",
    [(["a", ""], "non-empty strings"), (["a", 3], "non-empty strings"), (["<eos>"], "reserved")],
)
def test_bad_tokens_are_rejected(tokens, message):
    with pytest.raises(ValueError, match=message):
        Vocabulary(tokens)


def test_bad_ids_and_strings_are_rejected():
    vocab = Vocabulary(["one", "two"])
    with pytest.raises(ValueError, match="1-D"):
        vocab.decode([[4, 5]])
    with pytest.raises(ValueError, match="out of range"):
        vocab.decode([99])
    with pytest.raises(ValueError, match="tokenise it first"):
        vocab.encode("one two")
