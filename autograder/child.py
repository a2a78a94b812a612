"""The sandboxed side of grading: loads one notebook's graded cells and serves the tests' requests.

Started by `autograder.sandbox` as `python -m autograder.child READ_FD WRITE_FD` inside the
submission's sandbox, it holds no test, no expected value and no verdict: the trusted process
(`autograder.rpc.Submission`) sends requests over the pipes and receives plain data back (see
`autograder.rpc` for the wire format). Whatever this process does, its only output that counts
is data for the trusted side to check.

Requests (`op`): `load` (notebook bytes; the reply names a status when it cannot be graded),
`global`, `lib`, `getattr`, `call`, `getitem`, `len`, `list`, `put`, `get`. Results that are not
plain data stay here as handles; backend tensors and keras Variables are sent as arrays.
"""

import ctypes
import importlib
import os
import platform
import re
import sys
import traceback
from pathlib import Path

from autograder import notebook
from autograder.rpc import (
    Connection,
    Decoder,
    Encoder,
    ProtocolError,
    buffer_index,
    describe_exception,
    rebuild_exception,
)

_SAFE_NAME = re.compile(r"[\w .-]{1,100}\.ipynb")
_GRADER_FILES = (__file__, sys.modules["autograder.rpc"].__file__)
_KEYCTL = {"x86_64": 250, "aarch64": 219, "riscv64": 219}  # The keyctl system call's number.
_KEYCTL_JOIN_SESSION_KEYRING = 1


class LoadFailure(Exception):
    """The notebook cannot be graded; `status` is the grading status."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status


def load_module(data: bytes, name: str):
    """Writes the notebook into the private working directory, checks it statically (guarded
    against huge integers, deep nesting and memory errors) and executes its graded cells."""
    path = Path.cwd() / (name if _SAFE_NAME.fullmatch(name) else "submission.ipynb")
    path.write_bytes(data)
    try:
        parsed = notebook.read_notebook(path)
    except notebook.NotebookError as error:
        raise LoadFailure(error.status, str(error)) from None
    except (ValueError, RecursionError, MemoryError) as error:
        raise LoadFailure("corrupt_notebook", f"{path.name} is not a readable notebook: "
                          f"{type(error).__name__}: {error}") from None
    try:
        notebook.compile_graded_cells(parsed, path.name)
    except notebook.NotebookError as error:
        raise LoadFailure(error.status, str(error)) from None
    except (RecursionError, MemoryError, ValueError, OverflowError) as error:
        raise LoadFailure("syntax_error", f"a graded cell of {path.name} cannot be compiled "
                          f"({type(error).__name__}: nested too deeply or too large)") from None
    try:
        return notebook.build_module(path)
    except notebook.SubmissionExecutionError as error:
        raise LoadFailure("crashed", str(error)) from None


class Server:
    """Serves one trusted client over `connection`; keeps the objects it hands out as handles."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self.module = None
        self.handles: dict[int, object] = {}
        self.next_id = 0

    def serve_forever(self) -> None:
        while True:
            message, buffers = self.connection.receive(None)
            self.serve(message, buffers)

    def serve(self, message: dict, buffers) -> None:
        request_id = message.get("id")
        try:
            value = Decoder(buffers, buffer_index(message, buffers), self.decode_handle).decode(
                message.get("value"))
            reply = self.handle(message.get("op"), message, value)
        except ProtocolError:
            raise
        except LoadFailure as error:
            reply = {"error": {"status": error.status, "message": str(error)}}
        except _Missing as missing:
            reply = {"error": {"missing": missing.name}}
        except BaseException as error:  # noqa: BLE001 - SystemExit too: report, keep serving.
            reply = {"error": describe_exception(error, student_traceback(error))}
        self.send({"re": request_id, **reply})

    def send(self, reply: dict) -> None:
        encoder = Encoder(None)
        encoder.other = lambda value: self.encode_other(value, encoder)
        try:
            if "value" in reply:
                reply["value"] = encoder.encode(reply["value"])
        except Exception as error:  # noqa: BLE001 - e.g. a student's __len__ raising.
            encoder = Encoder(None)
            reply = {"re": reply["re"], "error": describe_exception(error)}
        self.connection.send(reply, encoder.buffers, None)

    def handle(self, op, message, value) -> dict:
        if op == "load":
            self.module = load_module(value, str(message.get("name", "submission.ipynb")))
            return {"value": sorted(name for name in vars(self.module)
                                    if not name.startswith("_"))}
        if op == "global":
            name = str(message.get("name"))
            if self.module is None or name not in vars(self.module):
                raise _Missing(name)
            return {"value": vars(self.module)[name]}
        if op == "lib":
            return {"value": import_path(str(message.get("path")))}
        if op == "getattr":
            return {"value": getattr(value, str(message.get("name")))}
        if op == "call":
            function, args, kwargs = value
            result = function(*args, **kwargs)
            return {"value": Handle(result) if message.get("keep") else result}
        if op == "getitem":
            target, key = value
            return {"value": target[key]}
        if op == "len":
            return {"value": len(value)}
        if op == "list":
            return {"value": list(value)}
        if op == "put":
            return {"value": Handle(value)}
        if op == "get":
            return {"value": value}
        raise ProtocolError(f"unknown request {op!r}")

    def encode_other(self, value, encoder: Encoder):
        if isinstance(value, Handle):
            value = value.value
        else:
            array = as_array(value)
            if array is not None:
                return encoder.encode(array)
        self.next_id += 1
        self.handles[self.next_id] = value
        kind = type(value)
        return {"t": "ref", "id": self.next_id, "type": f"{kind.__module__}.{kind.__qualname__}"}

    def decode_handle(self, node):
        if node.get("t") == "ref" and node.get("id") in self.handles:
            return self.handles[node["id"]]
        if node.get("t") == "callback" and type(node.get("id")) is int:
            return Callback(self, node["id"])
        raise ProtocolError(f"unknown value kind {node.get('t')!r}")

    def call_back(self, number: int, args, kwargs):
        """Calls the trusted callable `number`, serving nested requests until it answers."""
        self.next_id += 1
        request_id = -self.next_id
        encoder = Encoder(None)
        encoder.other = lambda value: self.encode_other(value, encoder)
        message = {"op": "callback", "id": request_id, "cb": number,
                   "value": encoder.encode((list(args), dict(kwargs)))}
        self.connection.send(message, encoder.buffers, None)
        while True:
            reply, buffers = self.connection.receive(None)
            if "op" in reply:
                self.serve(reply, buffers)
                continue
            if reply.get("re") != request_id:
                raise ProtocolError("a reply to an unknown callback")
            if "error" in reply:
                raise rebuild_exception(reply["error"])
            return Decoder(buffers, buffer_index(reply, buffers), self.decode_handle).decode(
                reply.get("value"))


class Handle:
    """Marks a value to be sent as a handle even when it is data (`put`, `keep`)."""

    def __init__(self, value):
        self.value = value


class Callback:
    """A trusted callable, called from the child with data arguments."""

    def __init__(self, server: Server, number: int):
        self._server, self._number = server, number

    def __call__(self, *args, **kwargs):
        return self._server.call_back(self._number, args, kwargs)


class _Missing(Exception):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def as_array(value):
    """A backend tensor or keras Variable as a NumPy array; None for anything else. Keras is
    only consulted when the submission already imported it."""
    keras = sys.modules.get("keras")
    if keras is None:
        return None
    try:
        if isinstance(value, keras.Variable) or keras.ops.is_tensor(value):
            return keras.ops.convert_to_numpy(value)
    except Exception:  # noqa: BLE001 - an unconvertible tensor stays a handle.
        return None
    return None


def import_path(path: str):
    """`"keras.layers.RNN"` -> the object, importing the longest module prefix."""
    parts = path.split(".")
    if not all(part.isidentifier() for part in parts):
        raise ValueError(f"not a dotted name: {path!r}")
    for split in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            target = getattr(target, attribute)
        return target
    raise ImportError(f"no module named {parts[0]!r}")


def student_traceback(error: BaseException) -> str:
    """The traceback of `error` without the grader's frames."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if frame.filename not in _GRADER_FILES]
    if not frames:
        return ""
    return "Traceback (most recent call last):\n" + "".join(traceback.format_list(frames[-12:]))


def _leave_session_keyring() -> None:
    """Joins a new, empty session keyring: the inherited one is shared with every other process
    of the grader's session, so keys added there would reach the next submission. Where the
    call is unknown or blocked (seccomp), no process of the sandbox can use keyrings anyway."""
    number = _KEYCTL.get(platform.machine())
    if number is not None:
        ctypes.CDLL(None, use_errno=True).syscall(number, _KEYCTL_JOIN_SESSION_KEYRING, None)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or not all(arg.isdigit() for arg in argv):
        print("usage: python -m autograder.child READ_FD WRITE_FD", file=sys.stderr)
        return 2
    return serve(*(int(arg) for arg in argv))


def serve(read_fd: int, write_fd: int) -> int:
    """Serves the trusted side over the two pipes until it closes them."""
    _leave_session_keyring()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    for fd in (read_fd, write_fd):
        os.set_inheritable(fd, False)  # Processes the submission starts get neither pipe.
    server = Server(Connection(read_fd, write_fd))
    try:
        server.serve_forever()
    except Exception:  # noqa: BLE001 - the trusted side closed the pipe or broke the protocol.
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
