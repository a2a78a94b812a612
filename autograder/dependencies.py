"""What grading an assignment reads and imports, found statically (no test or notebook runs).

The test files, the conftests from the repository root down to them, the files of the
`fixtures/` folders beside them that this assignment's tests name, the local modules they reach
(seqlib, helpers beside the tests) and the third-party modules imported on the way. The Gradescope
bundle ships and pins exactly these; a resumed batch regrades everyone when any of the local files
changes.
"""

import ast
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from autograder import notebook
from autograder.assignments import REPO_ROOT, Assignment

# What the grader itself imports while grading, beside what the tests and graded cells import.
GRADER_MODULES = ("numpy", "pytest")
# Keras needs a backend; the course's is TensorFlow unless KERAS_BACKEND says otherwise.
_KERAS_BACKENDS = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}


@dataclass(frozen=True)
class Dependencies:
    third_party: frozenset[str]  # Top-level module names.
    local: frozenset[Path]  # Source files of local modules (seqlib, helpers beside the tests).


def imported_modules(tree: ast.AST, *, nested: bool) -> set[str]:
    """Absolute module names imported in `tree`: everywhere, or (not `nested`) at module level
    only, where a local package's lazy imports inside functions do not count."""
    nodes = ast.walk(tree) if nested else _module_level(tree)
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _module_level(tree: ast.AST):
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        yield node
        if isinstance(node, (ast.If, ast.Try)):
            pending += node.body + node.orelse + getattr(node, "finalbody", [])
            pending += [statement for handler in getattr(node, "handlers", [])
                        for statement in handler.body]


def _local_source(module: str, roots) -> Path | None:
    for root in roots:
        path = root.joinpath(*module.split("."))
        for candidate in (path / "__init__.py", path.with_suffix(".py")):
            if candidate.is_file():
                return candidate
    return None


def _prefixes(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:end]) for end in range(1, len(parts) + 1)]


def files_under(folder: Path) -> list[Path]:
    return [path for path in sorted(folder.rglob("*"))
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"]


def conftests(test_file: Path) -> list[Path]:
    """The conftest.py files from the repository root down to `test_file`."""
    files, folder = [], test_file.parent
    while folder == REPO_ROOT or REPO_ROOT in folder.parents:
        if (folder / "conftest.py").is_file():
            files.append(folder / "conftest.py")
        if folder == REPO_ROOT:
            break
        folder = folder.parent
    return files


def _string_literals(path: Path) -> set[str]:
    return {node.value for node in ast.walk(ast.parse(path.read_bytes()))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)}


def fixture_files(assignment: Assignment) -> list[Path]:
    """The files of the `fixtures/` folders beside the test files that the assignment's tests
    name: a string in their code holds the file's name (`"a1_rnn_numpy.npz"`) or is a folder it
    is in (`FIXTURES / "a5" / "case.npz"`). Other assignments' fixtures share the folders but
    not the tests, so they are left out; a fixture name built at run time is not seen."""
    test_files = [path.resolve() for path in assignment.test_files]
    tests_dir = REPO_ROOT / "tests"
    sources = set(test_files) | {path for path in needed_modules(assignment).local
                                 if tests_dir in path.parents}
    literals = set().union(*map(_string_literals, sources))
    files = set()
    for folder in {path.parent / "fixtures" for path in test_files}:
        if not folder.is_dir():
            continue
        for path in files_under(folder):
            if (any(path.name in literal for literal in literals)
                    or literals & set(path.relative_to(folder).parts[:-1])):
                files.add(path)
    return sorted(files)


def needed_modules(assignment: Assignment) -> Dependencies:
    """The modules grading `assignment` imports: from its test files and their conftests, the
    solution's graded cells when present, and the grader itself."""
    sources = [path for test_file in assignment.test_files
               for path in [test_file] + conftests(test_file)]
    modules = set(GRADER_MODULES)
    for path in sources:
        modules |= imported_modules(ast.parse(path.read_bytes()), nested=True)
    if assignment.solution.is_file():
        modules |= imported_modules(ast.parse(notebook.graded_source(
            notebook.read_notebook(assignment.solution))), nested=True)
    # Pytest puts each test file's folder on sys.path, so helper modules there are local too.
    roots = [REPO_ROOT] + sorted({path.parent for path in sources})
    third_party, local, pending = set(), set(), list(modules)
    while pending:
        module = pending.pop()
        top = module.split(".")[0]
        if top in sys.stdlib_module_names or top == "__future__":
            continue
        if _local_source(top, roots) is None:
            third_party.add(top)
            continue
        for prefix in _prefixes(module):
            source = _local_source(prefix, roots)
            if source is not None and source not in local:
                local.add(source)
                pending += imported_modules(ast.parse(source.read_bytes()), nested=False)
    if "keras" in third_party:
        third_party.add(_KERAS_BACKENDS.get(os.environ.get("KERAS_BACKEND", "tensorflow"),
                                            "tensorflow"))
    return Dependencies(frozenset(third_party), frozenset(local))


def grading_files(assignment: Assignment) -> list[Path]:
    """Every local file grading `assignment` reads: test files, conftests, fixtures and the
    local modules they import (the grader's own package aside)."""
    files = set(fixture_files(assignment))
    for test_file in assignment.test_files:
        files |= {test_file.resolve(), *conftests(test_file.resolve())}
    grader = REPO_ROOT / "autograder"
    files |= {path for path in needed_modules(assignment).local if grader not in path.parents}
    return sorted(files)
