"""The template ("zygote") process: imports the libraries once, forks a fresh sandbox per child.

Importing Keras costs seconds of CPU; paying it in every submission's process dominated the
grading of the Keras assignments. `autograder.sandbox` therefore starts, per trusted grading
process, one template inside bubblewrap (the same read-only views as every child, uid nobody,
no network, a read-only /dev; CAP_SYS_ADMIN inside the sandbox's own user namespace only, to
build each child's namespaces) with NumPy/Keras already imported. The template NEVER runs
student code: it only forks on request. The fork (the "monitor") enters new mount, PID, IPC,
UTS and network namespaces and forks the new namespace's init, which:

1. is PID 1 of its own PID namespace, so nothing in it sees any other process (not the
   template, not the monitor, not another submission), and killing it kills everything the
   submission started;
2. mounts its own /proc and fresh, empty tmpfs on /tmp, the working directory and /dev/shm, so
   nothing an earlier submission wrote is visible and nothing this one writes outlives it;
3. keeps only stdin (/dev/null), stdout/stderr (its own pipe) and its two request pipes: no
   descriptor of the template (its control socket) survives;
4. reports to the trusted side, which learns its real pid from the kernel (SCM_CREDENTIALS),
   moves it into the submission's cgroup and answers "go";
5. drops every capability (bounding, ambient, effective, permitted, inheritable) and sets
   no_new_privs, then forks the submission's process, which sets the rlimits, reseeds NumPy's
   global generator and serves the tests' requests (`autograder.child`); init reaps orphans and
   exits with the submission's status, like bubblewrap.

Nothing flows back into the template: a fork shares no writable memory with its parent
(copy-on-write), the template's process is invisible from the child's PID namespace (no signal,
ptrace or /proc/PID/mem can name it), and the template's own state never changes between
forks. The monitor only waits for the child and reports its exit status.

Run as `python -m autograder.zygote CONTROL_FD [MODULE...]`; requests on the control socket
(SOCK_SEQPACKET) are a JSON object of limits with four descriptors attached (SCM_RIGHTS): the
child's request pipe (read end), its reply pipe (write end), its output pipe (write end) and its
report socket.
"""

import ctypes
import gc
import importlib
import json
import os
import resource
import signal
import socket
import struct
import sys

from autograder import child

WORKDIR = "/sandbox"
PRIVATE_MOUNTS = ("/tmp", WORKDIR, "/dev/shm")
_READ_ONLY_PROC = ("sys", "sysrq-trigger", "irq", "bus")
_CLONE_NEWNS, _CLONE_NEWUTS, _CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
_CLONE_NEWPID, _CLONE_NEWNET = 0x20000000, 0x40000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REMOUNT, _MS_BIND = 1, 2, 4, 8, 32, 4096
_MS_REC, _MS_PRIVATE = 0x4000, 0x40000
_PR_SET_PDEATHSIG, _PR_SET_DUMPABLE, _PR_CAPBSET_DROP = 1, 4, 24
_PR_SET_NO_NEW_PRIVS, _PR_CAP_AMBIENT = 38, 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
_CAPABILITY_VERSION_3 = 0x20080522
_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def _mount(source, target, kind, flags, options=None) -> None:
    _check(_libc.mount(source and source.encode(), target.encode(), kind and kind.encode(),
                       flags, options and options.encode()), f"mount {target}")


def _close_all_but(keep) -> None:
    start = 3
    for fd in sorted(fd for fd in set(keep) if fd >= 3):
        os.closerange(start, fd)
        start = fd + 1
    os.closerange(start, resource.getrlimit(resource.RLIMIT_NOFILE)[0])


def drop_capabilities() -> None:
    """Empties the bounding, ambient, effective, permitted and inheritable sets for good."""
    last = int(open("/proc/sys/kernel/cap_last_cap").read())
    for capability in range(last + 1):
        _check(_libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0), "drop a capability")
    _check(_libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clear ambient")
    header = ctypes.create_string_buffer(struct.pack("Ii", _CAPABILITY_VERSION_3, 0))
    _check(_libc.capset(header, ctypes.create_string_buffer(24)), "capset")
    _check(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    status = dict(line.split(":\t", 1) for line in open("/proc/self/status").read().splitlines()
                  if ":\t" in line)
    if any(int(status[name], 16) for name in ("CapEff", "CapPrm", "CapBnd", "CapAmb")):
        raise OSError("capabilities are left after dropping them")


def _init(request_read: int, reply_write: int, report: socket.socket, limits: dict) -> None:
    """PID 1 of the child's new PID namespace: sets up the mounts, joins the cgroup, drops its
    capabilities, then forks the submission's process and reaps orphans until it exits.
    Exits like bubblewrap: the submission's exit code, or 128 + the signal that killed it."""
    try:
        _check(_libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "pdeathsig")
        _mount(None, "/", None, _MS_REC | _MS_PRIVATE)
        _mount("proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
        for name in _READ_ONLY_PROC:  # As bubblewrap does: the kernel's knobs stay read-only.
            path = f"/proc/{name}"
            if not os.path.exists(path):
                continue
            _mount(path, path, None, _MS_BIND | _MS_REC)
            _mount(None, path, None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY)
        for target in PRIVATE_MOUNTS:
            mode = "0700" if target == WORKDIR else "1777"
            _mount("tmpfs", target, "tmpfs", _MS_NOSUID | _MS_NODEV,
                   f"size={int(limits['tmpfs_bytes'])},mode={mode}")
        os.chdir(WORKDIR)
        os.setsid()
        report.send(b"ready")  # The trusted side reads our pid from the kernel's credentials.
        if report.recv(16) != b"go":
            os._exit(1)
        report.close()
        drop_capabilities()
        _check(_libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0), "dumpable")  # No ptrace of init.
        submission = os.fork()
    except BaseException as error:  # noqa: BLE001 - reported to the trusted side, then gone.
        _report_failure_and_exit(report, error)
    if submission == 0:
        _submission(request_read, reply_write, limits)
    os.close(request_read)
    os.close(reply_write)
    while True:
        pid, status = os.waitpid(-1, 0)
        if pid == submission:
            code = os.waitstatus_to_exitcode(status)
            os._exit(code if code >= 0 else 128 - code)


def _report_failure_and_exit(report: socket.socket, error: BaseException) -> None:
    """Tells the trusted side why setting up a child failed, then ends this process."""
    try:
        report.send(f"error {type(error).__name__}: {error}".encode()[:4000])
    finally:
        os._exit(1)


def _submission(request_read: int, reply_write: int, limits: dict) -> None:
    """The process that loads the graded cells and serves the tests' requests; never returns."""
    code = 1
    try:
        _check(_libc.prctl(_PR_SET_DUMPABLE, 1, 0, 0, 0), "dumpable")
        for kind, value in limits["rlimits"]:
            resource.setrlimit(kind, (value, value))
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed()  # Not the template's state for every child.
        code = child.serve(request_read, reply_write)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _monitor(fds: list[int], limits: dict) -> None:
    """The fork of the template: new namespaces, then the child; reports its exit status."""
    request_read, reply_write, output_write, report_fd = fds
    report = socket.socket(fileno=report_fd)
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        _check(_libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "pdeathsig")
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(output_write, 1)
        os.dup2(output_write, 2)
        _close_all_but([request_read, reply_write, report_fd])
        _check(_libc.unshare(_CLONE_NEWNS | _CLONE_NEWPID | _CLONE_NEWIPC | _CLONE_NEWUTS
                             | _CLONE_NEWNET), "unshare")
        pid = os.fork()
    except BaseException as error:  # noqa: BLE001 - reported to the trusted side, then gone.
        _report_failure_and_exit(report, error)
    if pid == 0:
        try:
            _init(request_read, reply_write, report, limits)
        finally:
            os._exit(1)  # Never back into the monitor's code.
    os.close(request_read)
    os.close(reply_write)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    _, status = os.waitpid(pid, 0)
    try:
        report.send(f"exit {os.waitstatus_to_exitcode(status)}".encode())
    finally:
        os._exit(0)


def serve(control: socket.socket) -> None:
    """Forks one monitor per request until the trusted side closes the control socket."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # Monitors are reaped by the kernel.
    while True:
        message, fds, _, _ = socket.recv_fds(control, 65536, 4)
        if not message:
            return
        if len(fds) != 4:
            for fd in fds:
                os.close(fd)
            continue
        limits = json.loads(message)
        if os.fork() == 0:
            try:
                control.close()
                _monitor(fds, limits)
            finally:
                os._exit(1)  # Never back into the template's loop.
        for fd in fds:
            os.close(fd)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or not argv[0].isdigit():
        print("usage: python -m autograder.zygote CONTROL_FD [MODULE...]", file=sys.stderr)
        return 2
    control = socket.socket(fileno=int(argv[0]))
    control.set_inheritable(False)
    for name in argv[1:]:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a child then imports it itself, as without a template.
            pass
    # Children inherit the imported objects copy-on-write; freezing them keeps the collector
    # from walking (hence copying) them in every child.
    gc.collect()
    gc.freeze()
    control.send(b"ready")
    serve(control)
    return 0


if __name__ == "__main__":
    sys.exit(main())
