"""Talking to a submission: the wire format and the trusted side's proxies.

Graded tests run in a trusted process that never executes student code. The `submission`
fixture is a `Submission` proxy onto a sandboxed child process (`autograder.child`) that loaded
the notebook's graded cells; every value crossing the boundary is plain data:

- None, bool, int, float, str, bytes, list, tuple, dict with str keys (tuples stay tuples,
  lists stay lists), NumPy arrays and scalars of plain dtypes (bool, integer, float, complex,
  fixed-width str/bytes; never object). Backend tensors and `keras.Variable`s come back as
  `numpy.ndarray`; an ndarray subclass comes back as a plain ndarray.
- Anything else the child returns stays in the child and comes back as a `RemoteObject` handle:
  `obj.units`, `obj(x)`, `obj.method(...)`, `obj[key]`, `len(obj)` and `list(obj)` are forwarded
  and return data or more handles. Handles may be passed back as arguments.
- A trusted callable passed as an argument (say, a decoding `step_fn`) becomes a callback: the
  child calls back into the trusted process with data arguments and gets data back.

Arguments are copies: the child never sees the trusted process's objects, so a submission that
mutates its inputs changes only its copy, and every returned array is a new array. To test
mutation or aliasing, keep values in the child: `ref = submission.put(grads)` stores a value
there and returns its handle, `submission.keep(fn, *args)` calls without fetching the result
(a handle), `submission.get(ref)` fetches a handle's current value as data.

Exceptions raised in the child come back as the same built-in class (`ValueError`, `TypeError`,
`NotImplementedError`, ...) carrying the student's message, with the student's traceback as a
note; any other class comes back as `RemoteError` (`.type_name`, e.g. `"mymodule.MyError"`). A
name missing from the graded cells fails the test with "function `name` is missing from your
graded cells". A call that runs past the test's time limit kills the child and fails the test
with "timed out after N s"; the next request starts a fresh child, which loads the graded cells
again (handles from the old child then fail with `RemoteError`).

Frames are `!QQ` (JSON length, buffer bytes) + UTF-8 JSON + raw array buffers. Nothing is ever
unpickled; malformed frames raise `ProtocolError`, which the trusted side treats as tampering.
"""

import builtins
import json
import os
import re
import select
import struct
import time

import numpy as np

_HEADER = struct.Struct("!QQ")
MAX_JSON_BYTES = 64 * 1024 * 1024
MAX_BUFFER_BYTES = 2 * 1024 * 1024 * 1024
MAX_DEPTH = 64
MAX_MESSAGE_CHARS = 4000
# Plain dtypes only: booleans, numbers and fixed-width strings, in an explicit byte order.
_DTYPE = re.compile(r"[<>|=]?(?:b1|[iu][1248]|f(?:2|4|8|16)|c(?:8|16|32)|[SU]\d{1,6})")
_INT_DIGITS_LIMIT = 4000


class ProtocolError(RuntimeError):
    """A malformed message: a broken or hostile peer."""


class RemoteError(Exception):
    """An exception raised in the submission's process whose class is not a built-in one.

    `type_name` is its qualified class name (e.g. `"keras.src.errors.SomeError"`), `traceback`
    the student's traceback.
    """

    def __init__(self, message: str, type_name: str = "", traceback: str = ""):
        super().__init__(f"{type_name}: {message}" if type_name else message)
        self.type_name = type_name
        self.remote_message = message
        self.traceback = traceback


class ChildGone(RuntimeError):
    """The peer closed its end (the child exited or was killed)."""


class DeadlineExceeded(RuntimeError):
    """No reply before the deadline."""


# --- Frames ------------------------------------------------------------------------------------


class Connection:
    """One end of a pair of pipes carrying frames. Writes and reads honour a deadline (monotonic
    seconds, or None), so a peer that stops reading or writing cannot block this side."""

    def __init__(self, read_fd: int, write_fd: int):
        self.read_fd, self.write_fd = read_fd, write_fd
        os.set_blocking(write_fd, False)
        os.set_blocking(read_fd, False)

    def close(self) -> None:
        for fd in (self.read_fd, self.write_fd):
            try:
                os.close(fd)
            except OSError:
                pass

    def send(self, message: dict, buffers: list, deadline: float | None) -> None:
        """Sends `message` and the raw `buffers` its nodes refer to (their sizes go in
        `message["sizes"]`)."""
        message["sizes"] = sizes = [len(memoryview(buffer).cast("B")) for buffer in buffers]
        data = json.dumps(message, separators=(",", ":")).encode()
        self._write(_HEADER.pack(len(data), sum(sizes)) + data, deadline)
        for buffer in buffers:
            self._write(memoryview(buffer).cast("B"), deadline)

    def receive(self, deadline: float | None) -> tuple[dict, memoryview]:
        json_size, buffer_size = _HEADER.unpack(self._read(_HEADER.size, deadline))
        if json_size > MAX_JSON_BYTES or buffer_size > MAX_BUFFER_BYTES:
            raise ProtocolError(f"frame too large ({json_size} + {buffer_size} bytes)")
        data = self._read(json_size, deadline)
        buffers = self._read(buffer_size, deadline)
        try:
            message = json.loads(data)
        except (ValueError, RecursionError, MemoryError) as error:
            raise ProtocolError(f"unreadable message: {type(error).__name__}") from None
        if not isinstance(message, dict):
            raise ProtocolError("a message must be a JSON object")
        return message, memoryview(buffers)

    def _wait(self, fd: int, writing: bool, deadline: float | None) -> None:
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        poller = select.poll()
        poller.register(fd, select.POLLOUT if writing else select.POLLIN)
        if not poller.poll(None if timeout is None else timeout * 1000):
            raise DeadlineExceeded()

    def _write(self, data, deadline) -> None:
        view = memoryview(data)
        while view:
            try:
                written = os.write(self.write_fd, view)
            except BlockingIOError:
                self._wait(self.write_fd, True, deadline)
                continue
            except (BrokenPipeError, ConnectionResetError):
                raise ChildGone() from None
            view = view[written:]

    def _read(self, size: int, deadline) -> bytearray:
        data = bytearray(size)
        view, got = memoryview(data), 0
        while got < size:
            try:
                chunk = os.readv(self.read_fd, [view[got:]])
            except BlockingIOError:
                self._wait(self.read_fd, False, deadline)
                continue
            except ConnectionResetError:
                raise ChildGone() from None
            if chunk == 0:
                raise ChildGone()
            got += chunk
        return data


# --- Values ------------------------------------------------------------------------------------


def _plain_dtype(dtype: np.dtype) -> bool:
    return dtype.kind in "biufcSU" and _DTYPE.fullmatch(dtype.str) is not None


class Encoder:
    """Turns a value into JSON-able nodes plus raw buffers. `other(value)` encodes anything that
    is not plain data (a handle, a callback) or raises TypeError."""

    def __init__(self, other):
        self.other = other
        self.buffers: list = []

    def _buffer(self, data) -> int:
        self.buffers.append(data)
        return len(self.buffers) - 1

    def encode(self, value, depth: int = 0):
        if depth > MAX_DEPTH:
            raise ValueError(f"value nested more than {MAX_DEPTH} levels deep")
        if value is None or isinstance(value, (bool, str)) and type(value) in (bool, str):
            return value
        if type(value) is int:
            if value.bit_length() > _INT_DIGITS_LIMIT * 3:
                return self.other(value)
            return value
        if type(value) is float:
            return value if np.isfinite(value) else {"t": "float", "v": repr(value)}
        if type(value) is bytes:
            return {"t": "bytes", "b": self._buffer(value)}
        if type(value) in (list, tuple):
            items = [self.encode(item, depth + 1) for item in value]
            return {"t": "list" if type(value) is list else "tuple", "v": items}
        if type(value) is dict and all(type(key) is str for key in value):
            return {"t": "dict", "k": list(value),
                    "v": [self.encode(item, depth + 1) for item in value.values()]}
        if isinstance(value, np.ndarray) and _plain_dtype(value.dtype):
            array = np.ascontiguousarray(value.view(np.ndarray))
            return {"t": "array", "dtype": array.dtype.str, "shape": list(array.shape),
                    "b": self._buffer(array.tobytes())}
        if isinstance(value, np.generic) and _plain_dtype(value.dtype):
            return {"t": "scalar", "dtype": value.dtype.str,
                    "b": self._buffer(np.asarray(value).tobytes())}
        return self.other(value)


class Decoder:
    """Rebuilds values from nodes; `handle(node)` rebuilds `ref` and `callback` nodes."""

    def __init__(self, buffers: memoryview, index: list, handle):
        self.buffers, self.index, self.handle = buffers, index, handle

    def _buffer(self, node) -> memoryview:
        number = node.get("b")
        if type(number) is not int or not 0 <= number < len(self.index):
            raise ProtocolError("bad buffer reference")
        start, stop = self.index[number]
        return self.buffers[start:stop]

    def decode(self, node, depth: int = 0):
        if depth > MAX_DEPTH:
            raise ProtocolError("value nested too deeply")
        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is not dict or type(node.get("t")) is not str:
            raise ProtocolError(f"bad value node of type {type(node).__name__}")
        kind = node["t"]
        if kind in ("list", "tuple"):
            items = node.get("v")
            if type(items) is not list:
                raise ProtocolError("bad sequence")
            values = [self.decode(item, depth + 1) for item in items]
            return values if kind == "list" else tuple(values)
        if kind == "dict":
            keys, items = node.get("k"), node.get("v")
            if (type(keys) is not list or type(items) is not list or len(keys) != len(items)
                    or not all(type(key) is str for key in keys)):
                raise ProtocolError("bad dict")
            return {key: self.decode(item, depth + 1) for key, item in zip(keys, items)}
        if kind == "float":
            if node.get("v") not in ("nan", "inf", "-inf"):
                raise ProtocolError("bad float")
            return float(node["v"])
        if kind == "bytes":
            return bytes(self._buffer(node))
        if kind in ("array", "scalar"):
            return self._array(node, kind)
        return self.handle(node)

    def _array(self, node, kind):
        dtype, shape = node.get("dtype"), node.get("shape", [])
        if type(dtype) is not str or not _DTYPE.fullmatch(dtype):
            raise ProtocolError(f"dtype {dtype!r} is not a plain dtype")
        dtype = np.dtype(dtype)
        if (type(shape) is not list or len(shape) > 32
                or not all(type(size) is int and size >= 0 for size in shape)):
            raise ProtocolError("bad array shape")
        data = self._buffer(node)
        if len(data) != dtype.itemsize * int(np.prod(shape, dtype=object)):
            raise ProtocolError("array data does not match its shape and dtype")
        array = np.frombuffer(bytearray(data), dtype=dtype).reshape(shape)
        return array[()] if kind == "scalar" else array


def buffer_index(message: dict, buffers: memoryview) -> list:
    """(start, stop) of each buffer from the message's `sizes`, checked against the frame."""
    sizes = message.get("sizes", [])
    if type(sizes) is not list or not all(type(size) is int and size >= 0 for size in sizes):
        raise ProtocolError("bad buffer sizes")
    index, start = [], 0
    for size in sizes:
        index.append((start, start + size))
        start += size
    if start != len(buffers):
        raise ProtocolError("buffer sizes do not add up")
    return index


# --- Exceptions ---------------------------------------------------------------------------------


def describe_exception(error: BaseException, traceback_text: str = "") -> dict:
    """The wire form of an exception raised by student code."""
    kind = type(error)
    try:
        message = str(error)
    except Exception:  # noqa: BLE001 - a student's __str__ may raise anything.
        message = "<unprintable message>"
    return {"type": kind.__qualname__, "module": kind.__module__,
            "message": _truncate(message), "traceback": _truncate(traceback_text)}


def rebuild_exception(error: dict) -> Exception:
    """The same built-in exception class with the student's message, else a `RemoteError`."""
    if type(error) is not dict:
        raise ProtocolError("bad error")
    name, module = str(error.get("type", "")), str(error.get("module", ""))
    message, traceback_text = str(error.get("message", "")), str(error.get("traceback", ""))
    kind = getattr(builtins, name, None) if module == "builtins" else None
    rebuilt = None
    if isinstance(kind, type) and issubclass(kind, Exception):
        try:
            rebuilt = kind(message)
        except Exception:  # noqa: BLE001 - e.g. UnicodeDecodeError needs 5 arguments.
            rebuilt = None
    if rebuilt is None:
        rebuilt = RemoteError(message, f"{module}.{name}" if module != "builtins" else name,
                              traceback_text)
    if traceback_text:
        rebuilt.add_note(traceback_text)
    return rebuilt


def _truncate(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE_CHARS else text[:MAX_MESSAGE_CHARS] + " [...]"


# --- The trusted side's proxies -----------------------------------------------------------------

DEFAULT_TIME_LIMIT_S = 60.0
# Starting a child and loading the graded cells (importing Keras where no template process has it
# imported: seconds, more on a busy machine) has its own clock and does not count against the
# test's time limit.
LOAD_TIME_LIMIT_S = 180.0


def _fail(message: str):
    """Fails the current test with `message` and no traceback of the grader's internals."""
    __tracebackhide__ = True  # pytest shows the test's frames, not the proxy's.
    import pytest  # The child imports this module too; only the trusted side needs pytest.

    pytest.fail(message, pytrace=False)


class Submission:
    """The graded cells of one notebook, loaded in a sandboxed child process.

    `submission.name` is the top-level name `name` of the graded cells: plain data comes back as
    data, anything else (functions, classes) as a `RemoteObject` handle. The child is started
    on first use by `sandbox.start()` (an `autograder.sandbox.Sandbox`) and loads the notebook's
    bytes; when it is killed (time limit) or dies, the next request starts a fresh one.
    `describe_missing(name)` words the failure for a name the graded cells do not define.

    The reserved attributes `lib`, `typename`, `put`, `get`, `keep`, `output` and `close` are
    methods of the proxy, so graded functions must not use these names.
    """

    def __init__(self, notebook_bytes: bytes, notebook_name: str, sandbox,
                 time_limit_s: float = DEFAULT_TIME_LIMIT_S, describe_missing=None):
        self._notebook = (notebook_bytes, notebook_name)
        self._sandbox = sandbox
        self._describe_missing = describe_missing or (
            lambda name: f"function `{name}` is missing from your graded cells")
        self._child = None
        self._generation = 0
        self._callbacks: dict[int, object] = {}
        self._next_id = 0
        self._load_failure = None
        self._time_limit_s = self._current_limit = time_limit_s
        self._deadline = None
        self._test = ""
        self._output: list[str] = []
        # What went wrong, for the grader's status: dicts with kind, test and message.
        self.incidents: list[dict] = []

    # Public helpers (reserved names) ---------------------------------------------------------

    def lib(self, path: str) -> "RemoteObject":
        """A library object imported in the CHILD, e.g. `submission.lib("keras.layers.RNN")`.
        What it computes is as untrusted as the student's own code."""
        __tracebackhide__ = True
        return self._request({"op": "lib", "path": str(path)})

    def typename(self, value) -> str:
        """The qualified class name of a value: for a handle, of the object in the child
        (e.g. `"tensorflow.python.data.ops.dataset_ops.DatasetV2"` is told apart by prefix)."""
        if isinstance(value, RemoteObject):
            return value._type_name
        kind = type(value)
        return f"{kind.__module__}.{kind.__qualname__}"

    def put(self, value) -> "RemoteObject":
        """Stores a copy of `value` in the child and returns its handle."""
        return self._request({"op": "put"}, value=value)

    def get(self, handle: "RemoteObject"):
        """The current value of a handle, as data where it is data."""
        return self._request({"op": "get"}, value=handle)

    def keep(self, function, *args, **kwargs) -> "RemoteObject":
        """Calls a remote callable and returns a handle to its result (not fetched)."""
        return self._request({"op": "call", "keep": True},
                             value=(function, list(args), kwargs))

    def output(self) -> str:
        """What the submission printed (stdout and stderr, truncated), across restarts."""
        return "".join(self._output + ([self._child.output()] if self._child else []))

    def close(self) -> None:
        """Kills the child and everything it started, and closes the sandbox."""
        self._drop_child()
        self._sandbox.close()

    def __getattr__(self, name: str):
        __tracebackhide__ = True
        if name.startswith("__"):
            raise AttributeError(name)
        return self._request({"op": "global", "name": name})

    def __repr__(self) -> str:
        return f"<graded cells of {self._notebook[1]} in a sandboxed process>"

    # The grader's controls ---------------------------------------------------------------------

    def start_test(self, test: str, time_limit_s: float | None = None) -> None:
        """Starts the clock of a test: every request until the next call must finish within
        `time_limit_s` from now (default: the proxy's)."""
        self._test = test
        self._current_limit = time_limit_s or self._time_limit_s
        self._deadline = time.monotonic() + self._current_limit

    @property
    def load_failure(self) -> tuple[str, str] | None:
        """(status, message) when the graded cells could not be loaded."""
        return self._load_failure

    # Requests ----------------------------------------------------------------------------------

    def _deadline_now(self) -> float:
        if self._deadline is None:
            self.start_test(self._test)
        return self._deadline

    def _ensure_child(self):
        __tracebackhide__ = True
        if self._load_failure is not None:
            _fail(f"cannot grade this notebook: {self._load_failure[1]}")
        if self._child is None:
            started = time.monotonic()
            self._child = self._sandbox.start()
            self._generation += 1
            self._callbacks.clear()
            data, name = self._notebook
            try:
                self._exchange({"op": "load", "name": name}, value=data, load=True,
                               deadline=time.monotonic() + LOAD_TIME_LIMIT_S)
            except BaseException:
                if self._load_failure is None:
                    self._drop_child()
                raise
            if self._deadline is not None:  # Starting and loading are not the test's time.
                self._deadline += time.monotonic() - started
        return self._child

    def _request(self, message: dict, value=None):
        __tracebackhide__ = True
        self._ensure_child()
        return self._exchange(message, value)

    def _exchange(self, message: dict, value=None, load: bool = False, deadline=None):
        __tracebackhide__ = True
        child, deadline = self._child, deadline or self._deadline_now()
        try:
            encoder = Encoder(self._encode_other)
            message["value"] = encoder.encode(value)
            message["id"] = request_id = self._new_id()
            child.connection.send(message, encoder.buffers, deadline)
            while True:
                reply, buffers = child.connection.receive(deadline)
                if reply.get("op") == "callback":
                    self._serve_callback(reply, buffers, deadline)
                    continue
                if reply.get("re") != request_id:
                    raise ProtocolError("a reply to an unknown request")
                decoder = Decoder(buffers, buffer_index(reply, buffers), self._decode_handle)
                if "error" in reply:
                    return self._raise_error(reply["error"], load)
                return decoder.decode(reply.get("value"))
        except DeadlineExceeded:
            failure = self._timed_out(LOAD_TIME_LIMIT_S if load else self._current_limit)
        except ChildGone:
            failure = self._child_died()
        except ProtocolError as error:
            self._incident("tampered", f"invalid message from the submission's process: {error}")
            self._drop_child()
            failure = ("the submission's process sent an invalid message; this is reported to "
                       "the instructor")
        _fail(failure)  # Outside the except clauses: no chained grader tracebacks.

    def _raise_error(self, error, load: bool):
        __tracebackhide__ = True
        if type(error) is dict and "missing" in error:
            _fail(self._describe_missing(str(error["missing"])))
        if load and type(error) is dict and "status" in error:
            self._load_failure = (str(error["status"]), str(error.get("message", "")))
            self._incident("load", self._load_failure[1], status=self._load_failure[0])
            self._drop_child()
            _fail(f"cannot grade this notebook: {self._load_failure[1]}")
        rebuilt = rebuild_exception(error)
        if isinstance(rebuilt, MemoryError):
            self._incident("memory", "MemoryError in the submission")
        raise rebuilt

    def _timed_out(self, limit: float) -> str:
        self._incident("timeout", f"timed out after {limit:g} s")
        self._drop_child()
        return f"timed out after {limit:g} s (your code was stopped; the next test starts afresh)"

    def _child_died(self) -> str:
        child = self._child
        description = child.exit_description()  # Before killing what is left of the sandbox.
        self._drop_child()
        if child.memory_exceeded():
            self._incident("memory", "the submission's process ran out of its memory limit")
            return "your code ran out of memory (its process was killed at the memory limit)"
        self._incident("crashed", f"the submission's process {description}")
        return (f"your code's process {description} before this test completed (the next test "
                "starts a fresh process)")

    def _drop_child(self) -> None:
        if self._child is not None:
            self._child.kill()
            self._output.append(self._child.output())
            self._child = None

    def _incident(self, kind: str, message: str, **extra) -> None:
        self.incidents.append({"kind": kind, "test": self._test, "message": message, **extra})

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _encode_other(self, value):
        if isinstance(value, RemoteObject):
            if value._owner is not self or value._generation != self._generation:
                raise RemoteError("this handle belongs to a process that was stopped (time "
                                  "limit) or to another submission")
            return {"t": "ref", "id": value._id}
        if callable(value):
            number = self._new_id()
            self._callbacks[number] = value
            return {"t": "callback", "id": number}
        raise TypeError(f"cannot send a {type(value).__name__} to the submission's process: "
                        "only plain data, NumPy arrays, handles and callables")

    def _decode_handle(self, node):
        if node.get("t") != "ref" or type(node.get("id")) is not int:
            raise ProtocolError(f"unknown value kind {node.get('t')!r}")
        return RemoteObject(self, node["id"], str(node.get("type", "object"))[:200])

    def _serve_callback(self, message: dict, buffers, deadline) -> None:
        """Runs a trusted callable for the child and sends back its result or error."""
        decoder = Decoder(buffers, buffer_index(message, buffers), self._decode_handle)
        function = self._callbacks.get(message.get("cb"))
        if function is None:
            raise ProtocolError("a call to an unknown callback")
        payload = decoder.decode(message.get("value"))
        if type(payload) is not tuple or len(payload) != 2 or type(payload[1]) is not dict:
            raise ProtocolError("bad callback arguments")
        encoder = Encoder(self._encode_other)
        try:
            reply = {"re": message.get("id"), "value": encoder.encode(
                function(*payload[0], **payload[1]))}
        except Exception as error:  # noqa: BLE001 - the child gets the callback's error.
            encoder = Encoder(self._encode_other)
            reply = {"re": message.get("id"), "error": describe_exception(error)}
        self._child.connection.send(reply, encoder.buffers, deadline)


class RemoteObject:
    """A handle on an object that stays in the submission's process. Attribute access, calls,
    indexing, `len` and iteration are forwarded; results are data or more handles."""

    def __init__(self, owner: Submission, number: int, type_name: str):
        self._owner, self._id, self._type_name = owner, number, type_name
        self._generation = owner._generation

    def __getattr__(self, name: str):
        __tracebackhide__ = True
        if name.startswith("__"):
            raise AttributeError(name)
        return self._owner._request({"op": "getattr", "name": name}, value=self)

    def __call__(self, *args, **kwargs):
        __tracebackhide__ = True
        return self._owner._request({"op": "call"}, value=(self, list(args), kwargs))

    def __getitem__(self, key):
        __tracebackhide__ = True
        return self._owner._request({"op": "getitem"}, value=(self, key))

    def __len__(self) -> int:
        length = self._owner._request({"op": "len"}, value=self)
        if type(length) is not int or length < 0:
            raise RemoteError(f"len() returned {type(length).__name__}")
        return length

    def __iter__(self):
        return iter(self._owner._request({"op": "list"}, value=self))

    def __repr__(self) -> str:
        return f"<remote {self._type_name} object>"
