"""Static checks that a graded function is the student's own work (autograder.own_work)."""

import pytest

from autograder import own_work

FORBIDDEN = ("seqlib", "decoding", "LSTMCell")


def problems(source, name="beam_search", allowed=("numpy", "keras")):
    return own_work.own_work_problems(source, name, allowed, FORBIDDEN)


def test_own_code_passes():
    source = "import numpy as np\n\ndef helper(x):\n    return np.sum(x)\n\n" \
             "def beam_search(step_fn):\n    return helper(step_fn)\n"
    assert problems(source) == []


@pytest.mark.parametrize(
    "source, message",
    [
        ("from seqlib.decoding import beam_search\n", "`beam_search` must be defined"),
        ("import seqlib\ndef beam_search(*a):\n    return seqlib.decoding.beam_search(*a)\n",
         "the graded cells import seqlib"),
        ("import numpy as np\ndef helper():\n    return __import__('seql' + 'ib')\n"
         "def beam_search(*a):\n    return helper()\n", "`__import__`"),
        ("import numpy as np\ndef beam_search(*a):\n    return eval('1')\n", "`eval`"),
        ("import keras\nclass LSTMCell(keras.layers.LSTMCell):\n    pass\n", "`LSTMCell`"),
        ("import keras\ndef beam_search(*a):\n    return getattr(keras, 'x')\n", "`getattr`"),
    ],
    ids=["imported", "delegates", "dynamic-import-in-helper", "eval", "subclass", "getattr"],
)
def test_delegation_is_found(source, message):
    name = "LSTMCell" if "class LSTMCell" in source else "beam_search"
    assert any(message in problem for problem in problems(source, name)), problems(source, name)


def test_other_functions_keep_their_points():
    """A forbidden import used only by another function costs that function alone."""
    source = "from seqlib.decoding import greedy_decode\nimport numpy as np\n\n" \
             "def beam_search(step_fn):\n    return np.zeros(1)\n"
    assert problems(source) == []
    assert problems(source, "greedy_decode")


def test_the_class_may_name_itself():
    source = "import keras\nclass LSTMCell(keras.layers.Layer):\n" \
             "    def build(self, shape):\n        super(LSTMCell, self).build(shape)\n"
    assert problems(source, "LSTMCell") == []


def test_assert_own_work_fails_the_test_with_the_problems():
    with pytest.raises(AssertionError, match="`beam_search` must be defined"):
        own_work.assert_own_work("beam_search = print\n", "beam_search", ("numpy",))


def test_a_missing_name_is_left_to_the_call():
    """The call then fails with the message naming the graded cell that lost its tag."""
    assert problems("import numpy as np\n") == []
