"""The hostile corpus (tests/autograder/hostile/): each submission gets its honest score or
`tampered`, nothing outside its sandbox changes, and nothing it started survives.

Each corpus file replaces the toy notebook's first graded cell (`add`, 1 of the toy's 5 points);
the other cells stay correct, so the honest score of a submission whose `add` is wrong is 4.
A score of 5 from a file that answers correctly only when it escapes (reads a secret, reaches
the network) would mean the sandbox leaked.
"""

import concurrent.futures
import hashlib
import socket
import threading
import uuid
from pathlib import Path

import pytest

from autograder import grading, sandbox
from autograder.assignments import REPO_ROOT

HOSTILE = Path(__file__).with_name("hostile")
TOY_TESTS = Path(__file__).with_name("toy") / "test_toy.py"
# name -> (allowed statuses, honest score)
EXPECTED = {
    "sys_exit": ({"crashed"}, 0),
    "os_exit": ({"crashed"}, 4),
    "infinite_loop": ({"timeout"}, 4),
    "fork_sleepers": ({"partial"}, 4),
    "setsid_daemon": ({"partial"}, 4),
    "write_outside": ({"partial"}, 4),
    "read_secrets": ({"partial"}, 4),
    "socket_connect": ({"partial"}, 4),
    "memory_bomb": ({"memory_exceeded"}, 4),
    "huge_output": ({"ok"}, 5),
    "patch_libraries": ({"partial"}, 4),
    "forge_reports": ({"partial", "tampered"}, None),
    "code_swap": ({"partial"}, 4),
    "ndarray_subclass": ({"partial"}, 4),
    "settrace": ({"partial"}, 4),
}
TIME_LIMIT_S = 8  # Ample for the memory bomb to hit its cgroup limit on a busy machine.
MEMORY_MB = 512

pytestmark = pytest.mark.skipif(not sandbox.bwrap_works(),
                                reason="bubblewrap is not available (apt-get install bubblewrap)")


def _tree_digest(folder: Path) -> dict[str, str]:
    digest = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
        digest[f"{path.relative_to(folder)} mode"] = oct(path.lstat().st_mode)
    return digest


class _Listener:
    """A TCP server on the host's loopback counting the connections it gets."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            connection.close()


@pytest.fixture(scope="module")
def graded(tmp_path_factory, toy_variant):
    root = tmp_path_factory.mktemp("hostile")
    out, other = root / "grades", root / "classmate"
    (out / "alice").mkdir(parents=True)
    (out / "alice" / "results.json").write_text('{"score": 3}')
    toy_variant(other / "notebook.ipynb")
    marker = f"hostile-{uuid.uuid4().hex}"
    listener = _Listener()
    watched = [out, other]
    before = {folder: _tree_digest(folder) for folder in watched}
    earlier_orphans = set(_orphan_cgroups())  # A grader killed earlier on this host left these.

    notebooks = {}
    for name in EXPECTED:
        source = (HOSTILE / f"{name}.py").read_text()
        for placeholder, value in (("__OUT__", out), ("__OTHER__", other),
                                   ("__REPO__", REPO_ROOT), ("__PORT__", listener.port),
                                   ("__MARKER__", marker)):
            source = source.replace(placeholder, str(value))
        notebooks[name] = toy_variant(root / "submissions" / f"{name}.ipynb", cells={1: source})
    tests = grading.collect_tests([TOY_TESTS])

    def grade(name):
        return grading.grade_notebook(name, notebooks[name], [TOY_TESTS], tests, timeout_s=120,
                                      memory_mb=MEMORY_MB, time_limit_s=TIME_LIMIT_S)

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(EXPECTED, pool.map(grade, EXPECTED)))
    after = {folder: _tree_digest(folder) for folder in watched}
    yield results, before, after, listener, marker, earlier_orphans
    listener.server.close()


@pytest.mark.parametrize("name", list(EXPECTED))
def test_honest_score_or_tampered(graded, name):
    result = graded[0][name]
    statuses, honest = EXPECTED[name]
    assert result.status in statuses, (result.status, result.message, result.log[-2000:])
    if result.status == "tampered":
        assert result.score == 0
    else:
        assert result.score == (honest if honest is not None else 4), result.tests


def test_nothing_outside_the_sandbox_changes(graded):
    _, before, after, listener, _, _ = graded
    for folder in before:
        assert after[folder] == before[folder], f"{folder} changed"
    # The repository may be edited while this runs; only the corpus's own marks count there.
    for folder in (REPO_ROOT / "tests", REPO_ROOT / "autograder", REPO_ROOT / "solutions"):
        marked = [path for path in folder.rglob("*") if path.name == "pwned.txt" or (
            path.is_file() and path.stat().st_size == 5 and path.read_bytes() == b"pwned")]
        assert marked == []
        assert folder.stat().st_mode & 0o777 != 0o777
    assert listener.connections == 0


def test_nothing_survives(graded, processes_with):
    marker, earlier_orphans = graded[4], graded[5]
    assert processes_with(marker) == []
    assert set(_orphan_cgroups()) - earlier_orphans == set()


def _orphan_cgroups() -> list[Path]:
    """Cgroups `autograder-<pid>-<n>` beside ours whose grading process `pid` is gone."""
    orphans = []
    for base, controller in ((Path("/sys/fs/cgroup"), ""),
                             (Path("/sys/fs/cgroup/memory"), "memory"),
                             (Path("/sys/fs/cgroup/pids"), "pids")):
        own = sandbox._own_cgroup(controller)
        if own is None or not (base / "cgroup.procs").is_file():
            continue
        for path in (base / own.lstrip("/")).glob("autograder-*-*"):
            if not Path(f"/proc/{path.name.split('-')[1]}").exists():
                orphans.append(path)
    return orphans


def test_output_is_truncated(graded):
    assert len(graded[0]["huge_output"].log) <= 2 * grading.MAX_LOG_CHARS


def test_memory_is_capped_per_submission_by_a_cgroup(graded):
    group = sandbox.Cgroup.create(64, 8)
    if group is None:
        pytest.skip("no writable cgroup here: RLIMIT_AS caps each process instead")
    group.remove()
    add = graded[0]["memory_bomb"].tests[0]
    assert "killed at the memory limit" in add.output, add.output
