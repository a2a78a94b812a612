"""The trusted pytest process: runs the graded tests against one notebook and reports over a pipe.

Started by the grader as `python -m autograder.trusted --results-fd FD ...`, with the run's
secret token on stdin. This process never executes student code: the `submission` fixture
(`autograder.pytest_plugin`) talks to a sandboxed child that does, and every verdict is computed
here. As a second layer, every line written to the results pipe carries the token (read, and
stdin replaced by /dev/null, first), and the functions of pytest, NumPy and the grader are
checked for rebinding at the end of the session; neither should ever trip now that student code
runs elsewhere, and either marks the run `tampered`.
"""

import argparse
import gc
import json
import os
import sys
import types

import pytest

from autograder import pytest_plugin

# Tests' failure reports are feedback, not evidence; they are truncated to keep the pipe small.
MAX_LONGREPR_CHARS = 4000
MAX_OUTPUT_CHARS = 64 * 1024
_MISSING = object()

# Rebinding any function or class in these modules (e.g. `numpy.allclose = lambda *a: True`)
# marks the run as tampered. Only names loaded before the first test runs are watched.
_WATCHED_MODULE_PREFIXES = ("_pytest", "pytest", "pluggy", "autograder", "numpy.testing")
_WATCHED_MODULES = ("builtins", "math", "numpy", "json", "os", __name__)
# Hooks through which a plugin registered by the submission could rewrite test outcomes.
_WATCHED_HOOKS = (
    "pytest_runtest_protocol",
    "pytest_runtest_setup",
    "pytest_runtest_call",
    "pytest_runtest_teardown",
    "pytest_runtest_makereport",
    "pytest_runtest_logreport",
    "pytest_pyfunc_call",
    "pytest_report_teststatus",
    "pytest_sessionfinish",
)


class Reporter:
    """Pytest plugin that streams test outcomes to the parent and checks pytest's integrity."""

    def __init__(self, token: str, results_fd: int, collect_only: bool):
        self._token = token
        self._fd = results_fd
        self._collect_only = collect_only
        self._snapshot = None

    def _send(self, event: str, **fields) -> None:
        line = json.dumps({"token": self._token, "event": event, **fields}, default=repr) + "\n"
        data = line.encode()
        while data:
            data = data[os.write(self._fd, data) :]

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session):
        if self._collect_only:
            # Raw marker arguments: the parent validates them (this hook runs even when
            # collection failed).
            tests = [pytest_plugin.test_metadata(item) for item in session.items]
            self._send("collected", tests=tests)
        # Test modules and conftests are imported now; submission code has not run yet.
        self._snapshot = _integrity_snapshot(session.config)

    @pytest.hookimpl(tryfirst=True)
    def pytest_collectreport(self, report):
        if report.failed:
            self._send("collect_error", nodeid=report.nodeid, longrepr=_truncate(report))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report):
        fields = {"nodeid": report.nodeid, "when": report.when, "outcome": report.outcome}
        if report.failed:
            fields["longrepr"] = _truncate(report)
        self._send("report", **fields)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        changed = []
        if self._snapshot is not None:
            current = _integrity_snapshot(session.config)
            changed = [name for name, value in self._snapshot.items()
                       if current.get(name, _MISSING) is not value]
            # Modules may load more names later; only new hook implementations are suspect.
            changed += [name for name in current
                        if name.startswith("hook ") and name not in self._snapshot]
        incidents = [incident for proxy in pytest_plugin.proxies(session.config)
                     for incident in proxy.incidents]
        output = "".join(proxy.output() for proxy in pytest_plugin.proxies(session.config))
        self._send("done", exitstatus=int(exitstatus), tampered=sorted(changed)[:50],
                   incidents=incidents[:200], output=output[-MAX_OUTPUT_CHARS:])


def _truncate(report) -> str:
    text = report.longreprtext
    if len(text) > MAX_LONGREPR_CHARS:
        text = "...\n" + text[-MAX_LONGREPR_CHARS:]
    return text


def _watched_modules():
    for name, module in list(sys.modules.items()):
        if isinstance(module, types.ModuleType) and (
            name in _WATCHED_MODULES or name.startswith(_WATCHED_MODULE_PREFIXES)
        ) and not name.startswith("autograder.demo"):
            yield name, module


def _integrity_snapshot(config) -> dict[str, object]:
    """Every watched function and class (and their methods), and the hooks' implementations.

    Values are the objects themselves, not their ids, so a replaced one cannot be freed and have
    its id reused by the replacement.
    """
    snapshot = {}
    for module_name, module in _watched_modules():
        for attr, value in list(vars(module).items()):
            if isinstance(value, type):
                for method, member in list(vars(value).items()):
                    if callable(member) or isinstance(member, (property, staticmethod,
                                                               classmethod)):
                        snapshot[f"{module_name}.{attr}.{method}"] = member
            if callable(value):
                snapshot[f"{module_name}.{attr}"] = value
    for hook_name in _WATCHED_HOOKS:
        for impl in getattr(config.hook, hook_name).get_hookimpls():
            snapshot[f"hook {hook_name} {impl.plugin_name}"] = impl.function
    return snapshot


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.trusted")
    parser.add_argument("--results-fd", type=int, required=True)
    parser.add_argument("--memory-mb", type=int)
    parser.add_argument("--notebook")
    parser.add_argument("--sandbox", default="auto")
    parser.add_argument("--time-limit", type=float)
    parser.add_argument("--collect-only", action="store_true")
    parser.add_argument("--serve", action="store_true",
                        help="grade notebook after notebook: one JSON job per stdin line")
    parser.add_argument("test_files", nargs="+")
    args = parser.parse_args(argv)
    os.set_inheritable(args.results_fd, False)

    pytest_args = [
        *args.test_files,
        "-p", "autograder.pytest_plugin",
        "-p", "no:cacheprovider",
        "--quiet",
        "--tb=short",
        "--override-ini=addopts=",
        "--sandbox", args.sandbox, "--memory-mb", str(args.memory_mb or 0),
    ]
    if args.time_limit:
        pytest_args += ["--time-limit", str(args.time_limit)]
    if args.serve:
        return serve(pytest_args, args.results_fd)
    if args.collect_only:
        pytest_args.append("--collect-only")
    if args.notebook:
        pytest_args += ["--notebook", args.notebook]
    token = sys.stdin.readline().strip()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    reporter = Reporter(token, args.results_fd, args.collect_only)
    return int(pytest.main(pytest_args, plugins=[reporter]))


def serve(pytest_args: list[str], results_fd: int) -> int:
    """Runs one pytest session per job line `{"token": ..., "notebook": ...}` until stdin ends.

    The test modules and what they import (NumPy, Keras) load once per worker; every session
    builds its own `submission` proxies, hence fresh sandboxed children, so nothing of one
    student's code outlives its session.
    """
    for line in sys.stdin:
        job = json.loads(line)
        reporter = Reporter(job["token"], results_fd, collect_only=False)
        pytest.main([*pytest_args, "--notebook", job["notebook"]], plugins=[reporter])
        sys.stdout.flush()
        # What survives a session (modules, their data) is moved out of the collector's reach:
        # pytest collects garbage several times per session, and walking Keras's objects each
        # time cost more than half a second per submission.
        gc.collect()
        gc.freeze()
    return 0


if __name__ == "__main__":
    sys.exit(main())
