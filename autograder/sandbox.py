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

Limits, per submission: a cgroup (v2 `memory.max`/`pids.max`, or v1 memory + pids controllers)
caps the memory and process count of everything the submission runs, across restarts; without a
writable cgroup, `RLIMIT_AS` caps each process's address space instead. `RLIMIT_CPU`,
`RLIMIT_FSIZE` and `RLIMIT_CORE` apply to every process.

Where namespaces are unavailable the child runs as a plain subprocess in its own session (as
`nobody` when the grader is root and `nobody` can run this Python) with the same limits, and a
loud warning says that submissions are not isolated.
"""

import functools
import itertools
import os
import pwd
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

from autograder import rpc

DEFAULT_MEMORY_MB = 4096
DEFAULT_PROCESSES = 64
DEFAULT_FILE_MB = 64
MAX_OUTPUT_CHARS = 64 * 1024
SANDBOX_UID = 65534
SANDBOX_ROOT = "/opt/autograder"
WORKDIR = "/sandbox"
_PACKAGE = Path(__file__).resolve().parent
# The grader modules the child imports; the rest of autograder/ (demo solution, tests) stays out.
_CHILD_MODULES = ("__init__.py", "child.py", "rpc.py", "notebook.py")
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
                 file_mb: int = DEFAULT_FILE_MB):
        self.mode = resolve_mode(mode)
        self.memory_mb, self.cpu_s, self.processes, self.file_mb = (
            memory_mb, cpu_s, processes, file_mb)
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
        """A fresh child process, ready for the `load` request."""
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
        child = Child(process, rpc.Connection(from_child_read, to_child_write), self, workdir)
        self.children = [old for old in self.children if old.process.poll() is None]
        self.children.append(child)
        return child

    def _preexec(self):
        """Runs in the new process before exec: joins the cgroup, sets the rlimits. Only
        `os`/`resource` calls, as required between fork and exec."""
        procs_files = self.cgroup.procs_files() if self.cgroup else []
        limits = [(resource.RLIMIT_CORE, 0),
                  (resource.RLIMIT_FSIZE, self.file_mb * 1024 * 1024)]
        if self.cpu_s:
            limits.append((resource.RLIMIT_CPU, int(self.cpu_s) + 1))
        if self.memory_mb and self.cgroup is None:
            limits.append((resource.RLIMIT_AS, self.memory_mb * 1024 * 1024))

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
        command = ["bwrap", "--unshare-all", "--unshare-user", "--die-with-parent",
                   "--new-session", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
                   # /tmp first: binds below may live under /tmp (a venv in a clone there) and
                   # must be mounted on top of the private tmpfs, not hidden by it.
                   "--size", str(self.file_mb * 4 * 1024 * 1024), "--tmpfs", "/tmp"]
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
        command += ["--proc", "/proc", "--dev", "/dev",
                    "--size", str(self.file_mb * 4 * 1024 * 1024), "--tmpfs", WORKDIR,
                    "--chdir", WORKDIR, "--remount-ro", "/"]
        return command + ["--", sys.executable, "-m", "autograder.child", *map(str, child_fds)]


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

    def __init__(self, process: subprocess.Popen, connection: rpc.Connection, sandbox: Sandbox,
                 workdir: Path | None):
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
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.process.wait()
        if self.sandbox.cgroup is not None:
            self.sandbox.cgroup.kill_all()
        self._reader.join(timeout=2.0)
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
            try:  # bwrap exits with 128 + the signal that killed the sandboxed process.
                return f"was killed by {signal.Signals(returncode - 128).name}"
            except ValueError:
                pass
        return f"exited with code {returncode}"

    def memory_exceeded(self) -> bool:
        return self.sandbox.cgroup is not None and self.sandbox.cgroup.oom_killed()


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
