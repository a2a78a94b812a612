"""The `submission` proxy: the wire format, handles, callbacks, exceptions, time limits, and the
guarded static checks of `autograder.grading`."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

from autograder import grading, rpc, sandbox

TOY_TESTS = Path(__file__).with_name("toy") / "test_toy.py"
CELLS = '''
import os
import time
import numpy as np

SCALE = 3

def echo(value):
    return value

def twice(function, value):
    return function(value) * 2

class Counter:
    def __init__(self):
        self.count = 0
    def bump(self, by=1):
        self.count += by
        return self
    def __len__(self):
        return self.count

class StudentError(Exception):
    pass

def fail(kind):
    if kind == "value":
        raise ValueError("bad shape (3,)")
    raise StudentError("my own error")

def scale_in_place(array):
    array *= SCALE

def spin():
    while True:
        pass

def leave_traces():
    open("/tmp/trace", "w").write("from a previous student")
    np.leaked = True

def find_traces():
    return os.path.exists("/tmp/trace"), hasattr(np, "leaked")
'''


def _notebook(cells) -> bytes:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "id": f"c{index}", "metadata": {"tags": ["graded"]},
         "source": source, "outputs": [], "execution_count": None}
        for index, source in enumerate(cells)]}).encode()


def _proxy(cells=(CELLS,)) -> rpc.Submission:
    return rpc.Submission(_notebook(cells), "cells.ipynb", sandbox.Sandbox(memory_mb=1024))


@pytest.fixture(scope="module")
def remote():
    proxy = _proxy()
    yield proxy
    proxy.close()


@pytest.fixture(autouse=True)
def clock(remote):
    remote.start_test("test", 30)


def test_data_round_trips_with_its_types(remote):
    value = {"tuple": (1, 2.5, "s"), "list": [None, True, b"\x00raw"], "nan": float("nan"),
             "scalar": np.float32(1.5), "array": np.arange(6, dtype=np.int16).reshape(2, 3)}
    back = remote.echo(value)
    assert type(back["tuple"]) is tuple and back["tuple"] == (1, 2.5, "s")
    assert type(back["list"]) is list and back["list"] == [None, True, b"\x00raw"]
    assert np.isnan(back["nan"])
    assert type(back["scalar"]) is np.float32 and back["scalar"] == 1.5
    assert back["array"].dtype == np.int16 and back["array"].shape == (2, 3)
    back["array"][0, 0] = 7  # A writable copy.
    assert remote.SCALE == 3


def test_objects_stay_in_the_child_as_handles(remote):
    counter = remote.Counter()
    assert isinstance(counter, rpc.RemoteObject)
    assert remote.typename(counter).endswith(".Counter")
    assert isinstance(counter.bump(by=2), rpc.RemoteObject)
    assert counter.count == 2 and len(counter) == 2
    assert remote.echo(counter).count == 2  # Handles go back as the child's own object.
    with pytest.raises(TypeError, match="cannot send"):
        remote.echo(np.array([object()]))


def test_trusted_callables_become_callbacks(remote):
    seen = []

    def square(value):
        seen.append(value)
        return value**2

    assert remote.twice(square, np.arange(3)).tolist() == [0, 2, 8]
    assert len(seen) == 1 and isinstance(seen[0], np.ndarray)


def test_library_objects_are_imported_in_the_child(remote):
    assert remote.lib("os.getuid")() == sandbox.SANDBOX_UID or remote_is_plain()
    assert remote.lib("numpy.linalg.norm")(np.array([3.0, 4.0])) == 5.0


def remote_is_plain() -> bool:
    return sandbox.resolve_mode() == "plain"


def test_exceptions_keep_builtin_classes(remote):
    with pytest.raises(ValueError, match=r"bad shape \(3,\)"):
        remote.fail("value")
    with pytest.raises(rpc.RemoteError) as error:
        remote.fail("own")
    assert error.value.type_name.endswith("StudentError")
    assert "my own error" in str(error.value)


def test_a_missing_name_fails_the_test_with_a_clear_message(remote):
    with pytest.raises(pytest.fail.Exception, match="function `rnn_step` is missing from your "
                                                      "graded cells"):
        remote.rnn_step()


def test_arguments_are_copies_and_put_get_show_mutation(remote):
    array = np.ones(3)
    remote.scale_in_place(array)
    assert array.tolist() == [1, 1, 1]
    kept = remote.put(array)
    remote.scale_in_place(kept)
    assert remote.get(kept).tolist() == [3, 3, 3]
    assert isinstance(remote.keep(remote.echo, 1), rpc.RemoteObject)


def test_time_limit_kills_the_child_and_the_next_test_gets_a_fresh_one():
    proxy = _proxy()
    try:
        proxy.start_test("slow", 1)
        counter = proxy.Counter()
        with pytest.raises(pytest.fail.Exception, match="timed out after 1 s"):
            proxy.spin()
        proxy.start_test("next", 30)
        assert proxy.echo(5) == 5
        with pytest.raises(rpc.RemoteError, match="stopped"):
            proxy.echo(counter)
        assert [incident["kind"] for incident in proxy.incidents] == ["timeout"]
    finally:
        proxy.close()


def test_state_does_not_leak_between_students():
    first = _proxy()
    first.start_test("first", 30)
    first.leave_traces()
    first.close()
    second = _proxy()
    second.start_test("second", 30)
    assert second.find_traces() == (False, False)
    second.close()


def test_malformed_frames_are_protocol_errors():
    read_fd, write_fd = os.pipe()
    connection = rpc.Connection(read_fd, write_fd)
    try:
        os.write(write_fd, rpc._HEADER.pack(1 << 40, 0))
        with pytest.raises(rpc.ProtocolError, match="too large"):
            connection.receive(None)
    finally:
        connection.close()
    for node in ({"t": "array", "dtype": "|O", "shape": [1], "b": 0},  # object dtype
                 {"t": "array", "dtype": "<f8", "shape": [2], "b": 0},  # 8 bytes for 2 floats
                 {"t": "pickle", "v": "gASV"},
                 {"t": "list", "v": [[[[]]]] * 2, "x": "ok"} | {"v": _nested(100)}):
        with pytest.raises(rpc.ProtocolError):
            rpc.Decoder(memoryview(b"12345678"), [(0, 8)], _no_handles).decode(node)


def _nested(depth):
    node = []
    for _ in range(depth):
        node = {"t": "list", "v": [node]}
    return [node]


def _no_handles(node):
    raise rpc.ProtocolError(f"unknown value kind {node['t']}")


@pytest.fixture(scope="module")
def toy_tests():
    return grading.collect_tests([TOY_TESTS])


@pytest.mark.parametrize("cells, status", [
    (["def add(a, b):\n    return " + "(" * 5000 + "1" + ")" * 5000], "syntax_error"),
    (["def add(a, b):\n    return " + "-" * 200000 + "1"], "syntax_error"),
    (["def add(a, b):\n    return a +"], "syntax_error"),
])
def test_cells_that_break_the_compiler_get_a_status(tmp_path, toy_tests, cells, status):
    path = tmp_path / "deep.ipynb"
    path.write_bytes(_notebook(cells))
    result = grading.grade_notebook("deep", path, [TOY_TESTS], toy_tests, timeout_s=60)
    assert (result.status, result.score) == (status, 0), result.message


def test_notebook_json_that_breaks_the_parser_gets_a_status(tmp_path):
    tests = [grading.TestCase("test_toy.py::test_add", 1)]
    huge = tmp_path / "huge.ipynb"
    huge.write_text('{"nbformat": 4, "cells": [], "x": ' + "9" * 5000 + "}")
    deep = tmp_path / "deep.ipynb"
    deep.write_text("[" * 100000 + "]" * 100000)
    link = tmp_path / "link.ipynb"
    link.symlink_to(huge)
    for path, status in ((huge, "corrupt_notebook"), (deep, "corrupt_notebook"),
                         (link, "invalid_submission")):
        result, _ = grading.precheck(path.stem, path, tests)
        assert result is not None and result.status == status, (path, result)


def test_one_worker_grades_students_without_state_leaking(tmp_path, toy_tests, toy_variant):
    """Two students in a row through the same trusted worker: the second sees no file, module
    attribute or process the first left."""
    first = toy_variant(tmp_path / "first.ipynb", cells={1: (
        "import math, os, subprocess, sys\nimport numpy as np\n"
        "open('/tmp/trace', 'w').write('x')\nnp.leaked = True\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "def add(a, b):\n    return a + b\n")})
    second = toy_variant(tmp_path / "second.ipynb", cells={1: (
        "import math, os\nimport numpy as np\n"
        "def add(a, b):\n"
        "    clean = not os.path.exists('/tmp/trace') and not hasattr(np, 'leaked')\n"
        "    alone = len([p for p in os.listdir('/proc') if p.isdigit()]) <= 3\n"
        "    return a + b if clean and alone else None\n")})
    worker = grading.TrustedWorker([TOY_TESTS])
    try:
        for path in (first, second):
            run = worker.run(path, timeout_s=120)
            result = grading.score_run(path.stem, toy_tests, run, 120)
            assert (result.status, result.score) == ("ok", 5), (path.stem, result.tests)
    finally:
        worker.close()
