"""Quiets TensorFlow's C++ start-up messages without hiding real errors or turning oneDNN off.

TensorFlow 2.21 logs through Abseil while its shared libraries load, before anything can
configure the logger, so ``TF_CPP_MIN_LOG_LEVEL`` no longer silences lines such as::

    WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
    I0000 00:00:1795536983.095747  5607 port.cc:153] oneDNN custom operations are on. ...

They go straight to file descriptor 2, which Jupyter shows as red boxes. ``install()`` wraps the
first import of the ``tensorflow`` package: for its duration only, descriptor 2 goes to a
temporary file; afterwards the start-up noise is dropped and every other line is written back
to stderr. In a Jupyter kernel, which already pipes descriptor 2 through a thread of its own, a
second such pipe then keeps filtering: TensorFlow also logs harmless "errors" while it runs, such
as ``E0000 ... oneDNN supports DT_BOOL only on platforms with AVX-512``. ``import seqlib`` calls
``install()``, so importing seqlib before Keras is all a notebook needs.
"""

import contextlib
import os
import re
import sys
import tempfile
import threading

from seqlib._import_hooks import around_next_import

# Abseil's prefix: severity, date, time, thread id, file:line.
_ABSL_LINE = re.compile(r"^([IWEF])\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ \S+:\d+\] (.*)$")
_SEVERITY_RANK = {"I": 0, "W": 1, "E": 2, "F": 3}
_BANNER = "WARNING: All log messages before absl::InitializeLog() is called"
# Harmless at any severity: oneDNN's notice, CPU-feature hints, CUDA plugins that several
# bundled libraries try to register twice (logged as errors on GPU machines), and Grappler
# passes that give up on a graph (a ReLU RNN's loop, e.g. lesson 03's IRNN), which then runs
# unoptimised; the second line of that message has no prefix.
_HARMLESS = re.compile(
    r"oneDNN|cpu_feature_guard|To enable the following instructions:"
    r"|Unable to register cu\w+ factory|computation placer already registered"
    r"|tfg_optimizer_hook\.cc:\d+\]|meta_optimizer\.cc:\d+\] \w+ failed"
    r"|importing GraphDef to MLIR module in GrapplerHook"
)


def min_log_level():
    """The level TF_CPP_MIN_LOG_LEVEL asks for: 0 shows everything, 3 only fatal errors."""
    value = os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0").strip() or "0"
    if not value.isdigit():
        raise ValueError(f"TF_CPP_MIN_LOG_LEVEL must be 0, 1, 2 or 3, got {value!r}")
    return int(value)


def is_startup_noise(line, level=None):
    """True for a TensorFlow start-up line that ``TF_CPP_MIN_LOG_LEVEL=level`` should hide."""
    level = min_log_level() if level is None else level
    if level == 0:
        return False
    if line.startswith(_BANNER) or _HARMLESS.search(line):
        return True
    match = _ABSL_LINE.match(line)
    return bool(match) and _SEVERITY_RANK[match.group(1)] < level


@contextlib.contextmanager
def filtered_stderr():
    """Routes file descriptor 2 through ``is_startup_noise`` for the duration of the block."""
    sys.stderr.flush()
    saved = os.dup(2)
    # A file, not a pipe: nothing blocks however much the libraries write.
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            lines = capture.read().decode(errors="replace").splitlines(keepends=True)
            kept = "".join(line for line in lines if not is_startup_noise(line))
            if kept:
                sys.stderr.write(kept)
                sys.stderr.flush()


def filter_stderr_from_now_on():
    """Sends file descriptor 2 through ``is_startup_noise`` for the rest of the process.

    A pipe and a daemon thread, like Jupyter's own capture of descriptor 2; so it is used in
    kernels only, where output is asynchronous already.
    """
    read_end, write_end = os.pipe()
    target = os.dup(2)
    os.dup2(write_end, 2)
    os.close(write_end)
    threading.Thread(target=_forward, args=(read_end, target), daemon=True,
                     name="seqlib-quiet-stderr").start()


def _forward(read_end, target):
    pending = b""
    while chunk := os.read(read_end, 1 << 16):
        *lines, pending = (pending + chunk).split(b"\n")
        kept = b"".join(line + b"\n" for line in lines
                        if not is_startup_noise(line.decode(errors="replace")))
        # Abseil writes a line at a time; a partial line (a progress bar) must not wait.
        os.write(target, kept + pending)
        pending = b""


def _in_jupyter_kernel():
    shell = sys.modules.get("IPython")
    return shell is not None and getattr(shell.get_ipython(), "kernel", None) is not None


def _load_quietly(load):
    with filtered_stderr():
        load()
    if _in_jupyter_kernel() and min_log_level() > 0:
        filter_stderr_from_now_on()


def install():
    """Quiets the next ``import tensorflow`` (also when Keras or TFDS import it); idempotent."""
    if "tensorflow" in sys.modules:
        return
    around_next_import("tensorflow", _load_quietly)
