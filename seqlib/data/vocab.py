"""Token vocabularies with fixed special ids shared by every seqcourse dataset."""

import numpy as np

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIAL_TOKENS = (PAD, BOS, EOS, UNK)


class Vocabulary:
    """Maps tokens to integer ids and back.

    Ids 0-3 are reserved for ``<pad>``, ``<bos>``, ``<eos>`` and ``<unk>``; the given tokens
    follow in order of first appearance, so the same token list always gives the same ids.
    A string is an iterable of characters, so ``Vocabulary("abc")`` is a character vocabulary.

    Example:

    >>> vocab = Vocabulary(["one", "two"])
    >>> vocab.encode(["two", "one", "three"], add_eos=True)
    [5, 4, 3, 2]
    >>> vocab.decode([5, 4, 2, 5])
    ['two', 'one']
    """

    pad_id, bos_id, eos_id, unk_id = 0, 1, 2, 3

    def __init__(self, tokens):
        self._tokens = list(SPECIAL_TOKENS)
        self._ids = {token: index for index, token in enumerate(SPECIAL_TOKENS)}
        for token in tokens:
            if not isinstance(token, str) or not token:
                raise ValueError(f"tokens must be non-empty strings, got {token!r}")
            if token in SPECIAL_TOKENS:
                raise ValueError(f"{token!r} is a reserved special token; pass ordinary tokens")
            if token not in self._ids:
                self._ids[token] = len(self._tokens)
                self._tokens.append(token)

    def __len__(self):
        return len(self._tokens)

    def __contains__(self, token):
        return token in self._ids

    def __eq__(self, other):
        return isinstance(other, Vocabulary) and self._tokens == other._tokens

    def __repr__(self):
        return f"Vocabulary(size={len(self)}, tokens={self._tokens[4:10]}...)"

    @property
    def tokens(self):
        """All tokens, specials first, indexed by id."""
        return list(self._tokens)

    def token_to_id(self, token):
        return self._ids.get(token, self.unk_id)

    def id_to_token(self, index):
        return self._tokens[index]

    def encode(self, tokens, add_bos=False, add_eos=False):
        """Token sequence -> list of ids; unknown tokens map to ``unk_id``."""
        if isinstance(tokens, str) and any(len(token) > 1 for token in self._tokens[4:]):
            raise ValueError(
                "encode expects a sequence of tokens, got a string; tokenise it first "
                "(a plain string is only accepted by character vocabularies)"
            )
        ids = [self._ids.get(token, self.unk_id) for token in tokens]
        return [self.bos_id] * add_bos + ids + [self.eos_id] * add_eos

    def encode_batch(self, sequences, add_bos=False, add_eos=False, length=None):
        """Token sequences -> ``(n, length)`` int32 array, right-padded with ``pad_id``.

        ``length`` defaults to the longest encoded sequence; longer sequences raise.
        """
        encoded = [self.encode(tokens, add_bos, add_eos) for tokens in sequences]
        return pad_sequences(encoded, length)

    def decode(self, ids):
        """Ids -> tokens. Stops at the first ``eos_id`` and drops ``<pad>`` and ``<bos>``.

        Unknown ids keep their ``<unk>`` token so decoded sequences stay aligned with the input.
        """
        ids = np.asarray(ids)
        if ids.ndim != 1:
            raise ValueError(f"decode expects a 1-D sequence of ids, got shape {ids.shape}")
        tokens = []
        for index in ids.tolist():
            if index == self.eos_id:
                break
            if not 0 <= index < len(self._tokens):
                raise ValueError(f"id {index} is out of range for a vocabulary of size {len(self)}")
            if index not in (self.pad_id, self.bos_id):
                tokens.append(self._tokens[index])
        return tokens


def pad_sequences(sequences, length=None, pad_id=Vocabulary.pad_id):
    """Right-pad lists of ids into an ``(n, length)`` int32 array."""
    longest = max((len(ids) for ids in sequences), default=0)
    length = longest if length is None else length
    if longest > length:
        raise ValueError(f"a sequence has {longest} ids, more than length={length}")
    padded = np.full((len(sequences), length), pad_id, dtype=np.int32)
    for row, ids in enumerate(sequences):
        padded[row, : len(ids)] = ids
    return padded
