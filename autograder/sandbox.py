"""Starting a submission's process in a real sandbox.

Every process that runs student code (`autograder.child`) is started here. Where the kernel
allows it (Linux user, mount, PID and network namespaces) the child runs under bubblewrap
(`bwrap`, Debian/Ubuntu package `bubblewrap`):

- no network (`--unshare-net`), its own PID namespace (killing the sandbox kills everything the
  submission started, `setsid` daemons included), IPC and UTS namespaces, a new session;
- a private, empty working directory and /tmp (tmpfs), nothing else writable;
- read-only views of an allow-list only: system libraries (/usr, /etc/ld.so.*), the Python
  installation and virtual environment, and the few grader modules the child imports plus
  `seqlib` (copied under /opt/autograder). No view of `solutions/`, the tests, other
  submissions, the output directory or anyone's home; the notebook's bytes arrive over a pipe.
- uid/gid 65534 (nobody) with no capabilities inside a user namespace.

Where bubblewrap works, children are not started one by one: each grading process keeps one
template (`autograder.zygote`, in the same sandbox, with NumPy/Keras imported and never running
student code) that forks every child into fresh mount, PID, IPC, UTS and network namespaces,
with its own /proc, /tmp, working directory and /dev/shm, no capabilities and the submission's
cgroup, so a child costs milliseconds instead of a Keras import. Pages a child shares with the
template (the imported libraries) stay charged to the grading process's cgroup, not the
submission's. Where the template cannot start, children start afresh (a warning says so).

Limits, per submission: a cgroup (v2 `memory.max`/`pids.max`, or v1 memory + pids controllers)
caps the memory and process count of everything the submission runs, across restarts; without a
writable cgroup, `RLIMIT_AS` caps each process's address space instead. `RLIMIT_CPU`,
`RLIMIT_FSIZE` and `RLIMIT_CORE` apply to every process.

Where namespaces are unavailable the child runs as a plain subprocess in its own session (as
`nobody` when the grader is root and `nobody` can run this Python) with the same limits, and a
loud warning says that submissions are not isolated.
"""

import atexit
import functools
import itertools
import json
import os
import pwd
import resource
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

from autograder import rpc
from autograder.zygote import WORKDIR  # The template mounts it the same way bwrap does.

DEFAULT_MEMORY_MB = 4096
DEFAULT_PROCESSES = 64
DEFAULT_FILE_MB = 64
MAX_OUTPUT_CHARS = 64 * 1024
SANDBOX_UID = 65534
SANDBOX_ROOT = "/opt/autograder"
_PACKAGE = Path(__file__).resolve().parent
# The grader modules the child imports; the rest of autograder/ (demo solution, tests) stays out.
_CHILD_MODULES = ("__init__.py", "child.py", "rpc.py", "notebook.py", "zygote.py")
_MODES = ("auto", "bwrap", "plain")
_cgroup_ids = itertools.count()


class SandboxError(RuntimeError):
    """The sandbox cannot be set up as asked (e.g. `mode="bwrap"` without bwrap)."""


class SandboxWarning(UserWarning):
    """Submissions run without namespace isolation."""


@functools.cache
def bwrap_works() -> bool:
    """Whether `bwrap` is installed and can create the namespaces (probed once)."""
    if shutil.which("bwrap") is None:
        return False
    try:
        probe = subprocess.run(
            ["bwrap", "--unshare-all", "--unshare-user", "--die-with-parent",
             "--ro-bind", "/", "/", "--proc", "/proc", "--uid", str(SANDBOX_UID), "true"],
            capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def resolve_mode(mode: str = "auto") -> str:
    """`auto` -> `bwrap` where it works, else `plain` with a loud warning."""
    if mode not in _MODES:
        raise SandboxError(f"sandbox mode must be one of {', '.join(_MODES)}, got {mode!r}")
    if mode == "plain":
        return mode
    if bwrap_works():
        return "bwrap"
    if mode == "bwrap":
        raise SandboxError("bubblewrap (`bwrap`) is not installed or cannot create namespaces "
                           "here; install it with `apt-get install -y bubblewrap`")
    _warn_unsandboxed()
    return "plain"


@functools.cache
def _warn_unsandboxed() -> None:
    message = ("WARNING: bubblewrap (`bwrap`) is missing or user namespaces are disabled: "
               "submissions run WITHOUT a sandbox (they can read and write what the grader "
               "can, and use the network). Install it: `apt-get install -y bubblewrap`.")
    warnings.warn(message, SandboxWarning, stacklevel=3)
    print(f"\n{'!' * 78}\n{message}\n{'!' * 78}\n", file=sys.stderr, flush=True)


# --- cgroups -----------------------------------------------------------------------------------


class Cgroup:
    """A memory + pids cgroup for one submission (v2, else v1), or `None` from `create`."""

    def __init__(self, directories: dict[str, Path], version: int):
        self.directories, self.version = directories, version

    @classmethod
    def create(cls, memory_mb: int | None, processes: int) -> "Cgroup | None":
        name = f"autograder-{os.getpid()}-{next(_cgroup_ids)}"
        for factory in (cls._create_v2, cls._create_v1):
            try:
                group = factory(name)
            except OSError:
                continue
            if group is not None:
                try:
                    group._limit(memory_mb, processes)
                    return group
                except OSError:
                    group.remove()
        return None

    @classmethod
    def _create_v2(cls, name: str) -> "Cgroup | None":
        own = _own_cgroup("")
        if own is None or not Path("/sys/fs/cgroup/cgroup.controllers").is_file():
            return None
        parent = Path("/sys/fs/cgroup") / own.lstrip("/")
        enabled = (parent / "cgroup.subtree_control").read_text().split()
        if not {"memory", "pids"} <= set(enabled):
            return None  # Enabling them would move this process; the instructor's setup decides.
        directory = parent / name
        directory.mkdir()
        return cls({"memory": directory, "pids": directory}, 2)

    @classmethod
    def _create_v1(cls, name: str) -> "Cgroup | None":
        directories = {}
        for controller in ("memory", "pids"):
            own = _own_cgroup(controller)
            root = Path("/sys/fs/cgroup") / controller
            if own is None or not (root / "cgroup.procs").is_file():
                for directory in directories.values():
                    directory.rmdir()
                return None
            directory = root / own.lstrip("/") / name
            directory.mkdir()
            directories[controller] = directory
        return cls(directories, 1)

    def _limit(self, memory_mb: int | None, processes: int) -> None:
        memory, pids = self.directories["memory"], self.directories["pids"]
        (pids / "pids.max").write_text(str(processes))
        if memory_mb:
            limit = str(memory_mb * 1024 * 1024)
            if self.version == 2:
                (memory / "memory.max").write_text(limit)
                swap = memory / "memory.swap.max"
                if swap.exists():
                    swap.write_text("0")
            else:
                (memory / "memory.limit_in_bytes").write_text(limit)
                swap = memory / "memory.memsw.limit_in_bytes"
                if swap.exists():
                    swap.write_text(limit)

    def procs_files(self) -> list[str]:
        """The files a new process writes its pid to (from `preexec_fn`, before exec)."""
        return sorted({str(directory / "cgroup.procs")
                       for directory in self.directories.values()})

    def oom_killed(self) -> bool:
        memory = self.directories["memory"]
        try:
            if self.version == 2:
                events = (memory / "memory.events").read_text()
            else:
                events = (memory / "memory.oom_control").read_text()
                if int((memory / "memory.failcnt").read_text()) > 0 and "oom_kill " not in events:
                    return True
        except (OSError, ValueError):
            return False
        counts = dict(line.split() for line in events.splitlines() if len(line.split()) == 2)
        return int(counts.get("oom_kill", "0")) > 0

    def kill_all(self) -> None:
        """SIGKILLs every process in the cgroup, until none is left (or 2 s passed)."""
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            pids = set()
            for procs in self.procs_files():
                try:
                    pids.update(int(pid) for pid in Path(procs).read_text().split())
                except (OSError, ValueError):
                    pass
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.01)

    def remove(self, patience_s: float = 15.0) -> None:
        """Kills what is left and removes the directories. A fork bomb's processes can take
        seconds to be reaped on a loaded machine, so this keeps killing and retrying."""
        deadline = time.monotonic() + patience_s
        left = set(self.directories.values())
        while left:
            self.kill_all()
            for directory in list(left):
                try:
                    directory.rmdir()
                except FileNotFoundError:
                    pass
                except OSError:
                    continue  # EBUSY: killed processes are still being reaped.
                left.discard(directory)
            if left and time.monotonic() > deadline:
                warnings.warn(f"could not remove the cgroup(s) "
                              f"{', '.join(map(str, sorted(left)))}: their processes did not die",
                              SandboxWarning, stacklevel=2)
                return
            if left:
                time.sleep(0.05)


def _own_cgroup(controller: str) -> str | None:
    """This process's cgroup path for a v1 controller, or the v2 path for `""`."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers.split(",") == [controller] or (controller == "" and controllers == ""):
            return path
    return None


# --- The sandbox ------------------------------------------------------------------------------


class Sandbox:
    """Starts sandboxed `autograder.child` processes for ONE submission; `close()` removes its
    cgroup and kills whatever is left. Use as a context manager."""

    def __init__(self, mode: str = "auto", memory_mb: int | None = DEFAULT_MEMORY_MB,
                 cpu_s: float | None = None, processes: int = DEFAULT_PROCESSES,
                 file_mb: int = DEFAULT_FILE_MB, preload: tuple[str, ...] = ()):
        """`preload`: modules the submission is expected to import (say, those the solution's
        graded cells import); the template process imports those of `PRELOAD_CANDIDATES`."""
        self.mode = resolve_mode(mode)
        self.memory_mb, self.cpu_s, self.processes, self.file_mb = (
            memory_mb, cpu_s, processes, file_mb)
        self.preload = _preload(preload)
        self.cgroup = Cgroup.create(memory_mb, processes)
        self.children: list[Child] = []

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self) -> None:
        for child in self.children:
            child.kill()
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None

    def start(self) -> "Child":
        """A fresh child process, ready for the `load` request: forked from this process's
        template (`autograder.zygote`) where it works, else a new bubblewrap or plain one."""
        zygote = _zygote(self.file_mb, self.preload) if self.mode == "bwrap" else None
        if zygote is not None:
            try:
                process, connection = zygote.spawn(self._limits(), self.cgroup)
            except ZygoteError as error:
                _disable_zygote(zygote, error)
            else:
                return self._add(Child(process, connection, self, None))
        to_child_read, to_child_write = os.pipe()
        from_child_read, from_child_write = os.pipe()
        child_fds = (to_child_read, from_child_write)
        try:
            if self.mode == "bwrap":
                command, cwd, env, user = self._bwrap_command(child_fds), None, _child_env(), {}
                workdir = None
            else:
                workdir = Path(tempfile.mkdtemp(prefix="autograder-child-"))
                command = [sys.executable, "-m", "autograder.child", *map(str, child_fds)]
                cwd, env, user = workdir, _child_env(str(workdir)), _plain_user(workdir)
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, pass_fds=child_fds, cwd=cwd, env=env,
                start_new_session=True, preexec_fn=self._preexec(), **user)
        finally:
            for fd in child_fds:
                os.close(fd)
        return self._add(Child(process, rpc.Connection(from_child_read, to_child_write), self,
                               workdir))

    def _add(self, child: "Child") -> "Child":
        self.children = [old for old in self.children if old.process.poll() is None]
        self.children.append(child)
        return child

    def _limits(self) -> list[tuple[int, int]]:
        limits = [(resource.RLIMIT_CORE, 0),
                  (resource.RLIMIT_FSIZE, self.file_mb * 1024 * 1024)]
        if self.cpu_s:
            limits.append((resource.RLIMIT_CPU, int(self.cpu_s) + 1))
        if self.memory_mb and self.cgroup is None:
            limits.append((resource.RLIMIT_AS, self.memory_mb * 1024 * 1024))
        return limits

    def _preexec(self):
        """Runs in the new process before exec: joins the cgroup, sets the rlimits. Only
        `os`/`resource` calls, as required between fork and exec."""
        procs_files = self.cgroup.procs_files() if self.cgroup else []
        limits = self._limits()

        def preexec():
            pid = str(os.getpid()).encode()
            for procs in procs_files:
                fd = os.open(procs, os.O_WRONLY)
                try:
                    os.write(fd, pid)
                finally:
                    os.close(fd)
            for kind, value in limits:
                resource.setrlimit(kind, (value, value))

        return preexec

    def _bwrap_command(self, child_fds) -> list[str]:
        return (bwrap_command(self.file_mb, ["--dev", "/dev"])
                + ["--", sys.executable, "-m", "autograder.child", *map(str, child_fds)])


def bwrap_command(file_mb: int, options: list[str]) -> list[str]:
    """bubblewrap with the sandbox's views (see the module docstring); `options` come before
    the private working directory (e.g. how /dev is set up, capabilities)."""
    size = str(file_mb * 4 * 1024 * 1024)
    command = ["bwrap", "--unshare-all", "--unshare-user", "--die-with-parent",
               "--new-session", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
               # /tmp first: binds below may live under /tmp (a venv in a clone there) and
               # must be mounted on top of the private tmpfs, not hidden by it.
               "--size", size, "--tmpfs", "/tmp"]
    for top in ("/usr", "/bin", "/lib", "/lib64", "/sbin"):
        path = Path(top)
        if path.is_symlink():
            command += ["--symlink", os.readlink(path), top]
        elif path.is_dir():
            command += ["--ro-bind", top, top]
    for path in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
                 "/etc/localtime"):
        if Path(path).exists():
            command += ["--ro-bind", path, path]
    for prefix in sorted({sys.base_prefix, sys.prefix, str(Path(sys.executable).parent)}):
        command += ["--ro-bind", prefix, prefix]
    for name in _CHILD_MODULES:
        command += ["--ro-bind", str(_PACKAGE / name), f"{SANDBOX_ROOT}/autograder/{name}"]
    seqlib = _PACKAGE.parent / "seqlib"
    if seqlib.is_dir():
        command += ["--ro-bind", str(seqlib), f"{SANDBOX_ROOT}/seqlib"]
    return command + ["--proc", "/proc", *options, "--size", size, "--tmpfs", WORKDIR,
                      "--chdir", WORKDIR, "--remount-ro", "/"]


def _child_env(workdir: str = WORKDIR) -> dict[str, str]:
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": workdir,
        "TMPDIR": workdir if workdir != WORKDIR else "/tmp",
        "PYTHONPATH": SANDBOX_ROOT if workdir == WORKDIR else str(_PACKAGE.parent),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "PYTHONUNBUFFERED": "1",  # The child is killed at the end: nothing may stay buffered.
        "MPLBACKEND": "Agg",
        "KERAS_HOME": f"{workdir}/.keras",
        "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
        "LANG": "C.UTF-8",
    }
    for name in ("KERAS_BACKEND", "SEQLIB_FAST", "CUDA_VISIBLE_DEVICES", "OMP_NUM_THREADS"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


@functools.cache
def _nobody_can_run_python() -> tuple[int, int] | None:
    try:
        account = pwd.getpwnam("nobody")
        usable = subprocess.run(
            [sys.executable, "-c", "import autograder.child"], cwd="/", capture_output=True,
            user=account.pw_uid, group=account.pw_gid, extra_groups=[], check=False,
            env=_child_env("/tmp")).returncode == 0
    except (KeyError, OSError):
        return None
    return (account.pw_uid, account.pw_gid) if usable else None


def _plain_user(workdir: Path) -> dict:
    """Without namespaces, a root grader still runs submissions as `nobody` when it can."""
    if os.geteuid() != 0:
        return {}
    account = _nobody_can_run_python()
    if account is None:
        print("WARNING: `nobody` cannot run this Python; unsandboxed submissions run as root",
              file=sys.stderr)
        return {}
    os.chown(workdir, *account)
    return {"user": account[0], "group": account[1], "extra_groups": []}


class Child:
    """One running sandboxed child: its connection, its output and how it ended."""

    def __init__(self, process: "subprocess.Popen | ForkedProcess", connection: rpc.Connection,
                 sandbox: Sandbox, workdir: Path | None):
        self.process, self.connection, self.sandbox, self.workdir = (
            process, connection, sandbox, workdir)
        self._output = bytearray()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        stream = self.process.stdout
        while chunk := stream.read1(65536):
            self._output.extend(chunk)
            if len(self._output) > 2 * MAX_OUTPUT_CHARS:
                del self._output[:-MAX_OUTPUT_CHARS]

    def output(self) -> str:
        return self._output[-MAX_OUTPUT_CHARS:].decode(errors="replace")

    def kill(self) -> None:
        """Kills the sandbox (its PID namespace, hence everything in it) and reaps it."""
        if self.process.poll() is None:
            if isinstance(self.process, ForkedProcess):
                self.process.kill()
            else:
                kill_session(self.process.pid)
        self.process.wait()
        if self.sandbox.cgroup is not None:
            self.sandbox.cgroup.kill_all()
        self._reader.join(timeout=2.0)
        if not self._reader.is_alive():
            self.process.stdout.close()
        self.connection.close()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def exit_description(self) -> str:
        try:
            returncode = self.process.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            return "stopped answering"
        if returncode < 0:
            return f"was killed by {signal.Signals(-returncode).name}"
        if returncode > 128 and self.sandbox.mode == "bwrap":
            try:  # bwrap (and a template's child) exits with 128 + the signal that killed it.
                return f"was killed by {signal.Signals(returncode - 128).name}"
            except ValueError:
                pass
        return f"exited with code {returncode}"

    def memory_exceeded(self) -> bool:
        return self.sandbox.cgroup is not None and self.sandbox.cgroup.oom_killed()


# --- The template process ------------------------------------------------------------------

# Libraries a template may import before forking: slow to import, and without side effects a
# submission could notice (numpy always: the child's own protocol imports it).
PRELOAD_CANDIDATES = ("numpy", "scipy", "keras", "tensorflow", "jax", "torch")
SPAWN_TIMEOUT_S = 60.0
# The template's sandbox: the capabilities to build each child's namespaces, kept inside the
# sandbox's own user namespace; /dev built from single device binds, since `--dev` makes
# bubblewrap nest a second user namespace, under which no child could mount its own /proc.
_ZYGOTE_OPTIONS = ["--cap-add", "CAP_SYS_ADMIN", "--cap-add", "CAP_SETPCAP", "--tmpfs", "/dev",
                   *(option for device in ("null", "zero", "full", "random", "urandom")
                     for option in ("--dev-bind", f"/dev/{device}", f"/dev/{device}")),
                   "--dir", "/dev/shm", "--symlink", "/proc/self/fd", "/dev/fd",
                   *(option for number, name in enumerate(("stdin", "stdout", "stderr"))
                     for option in ("--symlink", f"/proc/self/fd/{number}", f"/dev/{name}")),
                   # Shared by every child of the template: nothing may be written there.
                   "--remount-ro", "/dev"]


class ZygoteError(RuntimeError):
    """The template cannot start or fork a child; children then start afresh."""


class Zygote:
    """The trusted side of `autograder.zygote`: one sandboxed template per grading process that
    forks a fresh, isolated child per request (see that module for what a child gets)."""

    def __init__(self, file_mb: int, preload: list[str]):
        self.file_mb = file_mb
        self.lock = threading.Lock()
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        command = bwrap_command(file_mb, _ZYGOTE_OPTIONS) + [
            "--", sys.executable, "-m", "autograder.zygote", str(theirs.fileno()), *preload]
        try:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, pass_fds=(theirs.fileno(),), env=_child_env(),
                start_new_session=True)
        finally:
            theirs.close()
        if _receive(self.control, rpc.LOAD_TIME_LIMIT_S)[0] != b"ready":
            self.close()
            raise ZygoteError("the template process did not start")

    def close(self) -> None:
        kill_session(self.process.pid)
        self.process.wait()
        self.control.close()

    def spawn(self, limits: list[tuple[int, int]], cgroup: "Cgroup | None"):
        """A new child (a `ForkedProcess` and its `rpc.Connection`), in `cgroup` before it runs
        anything of the submission.

        Raises:
            ZygoteError: the template is gone or the child could not be set up.
        """
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        output_read, output_write = os.pipe()
        report, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        report.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        ours = [request_write, reply_read, output_read]
        message = json.dumps({"rlimits": limits, "tmpfs_bytes": self.file_mb * 4 * 1024 * 1024})
        try:
            with self.lock:
                socket.send_fds(self.control, [message.encode()],
                                [request_read, reply_write, output_write, theirs.fileno()])
            pidfd = self._admit(report, cgroup)
        except (OSError, ZygoteError) as error:
            for fd in ours:
                os.close(fd)
            report.close()
            raise ZygoteError(f"the template could not start a child: {error}") from None
        finally:
            for fd in (request_read, reply_write, output_write):
                os.close(fd)
            theirs.close()
        process = ForkedProcess(pidfd, report, os.fdopen(output_read, "rb"))
        return process, rpc.Connection(reply_read, request_write)

    @staticmethod
    def _admit(report: socket.socket, cgroup: "Cgroup | None") -> int:
        """Reads the child's real pid from its `ready` message, moves it into `cgroup`, lets it
        go on; returns a pidfd on it."""
        message, pid = _receive(report, SPAWN_TIMEOUT_S)
        if message != b"ready" or pid is None:
            raise ZygoteError(message.decode(errors="replace") or "the child did not start")
        pidfd = os.pidfd_open(pid)
        try:
            for procs in cgroup.procs_files() if cgroup else []:
                Path(procs).write_text(str(pid))
            report.send(b"go")
        except OSError:
            os.close(pidfd)
            raise
        return pidfd


def _receive(sock: socket.socket, timeout_s: float) -> tuple[bytes, int | None]:
    """One message and the sender's pid (when the socket passes credentials), or b"" on
    timeout or a closed peer."""
    if not select.select([sock], [], [], timeout_s)[0]:
        return b"", None
    credentials = struct.Struct("iII")
    message, ancillary, _, _ = sock.recvmsg(4096, socket.CMSG_SPACE(credentials.size))
    pid = None
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = credentials.unpack(data[:credentials.size])[0]
    return message, pid


class ForkedProcess:
    """A child forked by the template, as the trusted side sees it (like a `subprocess.Popen`):
    `pid`-less, killed through a pidfd (it is PID 1 of its namespace: everything in it dies),
    its exit status reported by its monitor."""

    def __init__(self, pidfd: int, report: socket.socket, stdout):
        self.pidfd, self.report, self.stdout = pidfd, report, stdout
        self.returncode = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self._read_status(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None and not self._read_status(timeout):
            raise subprocess.TimeoutExpired("sandboxed child", timeout)
        return self.returncode

    def kill(self) -> None:
        if self.returncode is None:
            try:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _read_status(self, timeout: float | None) -> bool:
        if not select.select([self.report], [], [], timeout)[0]:
            return False
        try:
            message = self.report.recv(64)
        except OSError:
            message = b""
        words = message.split()
        exited = len(words) == 2 and words[0] == b"exit" and words[1].lstrip(b"-").isdigit()
        self.returncode = int(words[1]) if exited else -signal.SIGKILL
        self.report.close()
        os.close(self.pidfd)
        return True


def _preload(modules) -> tuple[str, ...]:
    """The candidates among `modules`, with NumPy, and Keras's backend when Keras is there."""
    wanted = {"numpy", *modules}
    if "keras" in wanted:
        wanted.add(os.environ.get("KERAS_BACKEND", "tensorflow"))
    return tuple(name for name in PRELOAD_CANDIDATES if name in wanted)


_zygotes: dict[tuple, Zygote | None] = {}
_zygotes_lock = threading.Lock()


def _zygote(file_mb: int, preload: tuple[str, ...]) -> Zygote | None:
    """This process's template for children with `file_mb` and `preload`, started on first
    use (one per assignment: each keeps the children it forked alive); None where it cannot
    start (children then start afresh, as isolated, only slower)."""
    key = (file_mb, preload)
    with _zygotes_lock:
        if key not in _zygotes and None in _zygotes.values():
            return None  # A template failed here before: do not pay for trying again.
        if key not in _zygotes:
            try:
                _zygotes[key] = Zygote(file_mb, list(preload))
            except (OSError, ZygoteError) as error:
                _zygotes[key] = None
                warnings.warn(f"no template process ({error}): every sandboxed child imports "
                              "its libraries itself", SandboxWarning, stacklevel=3)
        return _zygotes[key]


def _disable_zygote(zygote: Zygote, error: ZygoteError) -> None:
    with _zygotes_lock:
        for key, value in list(_zygotes.items()):
            if value is zygote:
                zygote.close()
                _zygotes[key] = None
    warnings.warn(f"{error}; every sandboxed child now imports its libraries itself",
                  SandboxWarning, stacklevel=3)


@atexit.register
def close_zygotes() -> None:
    """Ends this process's templates (they also die with it)."""
    with _zygotes_lock:
        for zygote in _zygotes.values():
            if zygote is not None:
                zygote.close()
        _zygotes.clear()


def kill_session(leader: int) -> None:
    """SIGKILLs every process in the session (process group) that `leader` started with
    `start_new_session`; one already gone is fine."""
    try:
        os.killpg(leader, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def remove_cgroups_of(pid: int) -> None:
    """Removes the cgroups a (killed) grading process `pid` left, killing what is in them."""
    for base in [Path("/sys/fs/cgroup")] + [Path("/sys/fs/cgroup") / c for c in ("memory",
                                                                                  "pids")]:
        own = _own_cgroup("" if base.name == "cgroup" else base.name)
        if own is None or not (base / "cgroup.procs").is_file():
            continue
        parent = base / own.lstrip("/")
        for directory in parent.glob(f"autograder-{pid}-*"):
            Cgroup({"memory": directory, "pids": directory}, 2).remove()
