"""Read notebooks, extract their `graded` cells and build the submission module.

A notebook is graded through its code cells tagged `graded`. They are compiled one by one (like a
Jupyter kernel would) and executed, in order, in a fresh module object; everything else in the
notebook (training cells, plots, exploration) never runs.

Cells keep the id of the released template, so a graded cell whose tag a student deleted, or a
graded function a student renamed, is named in a clear message (`missing_name_message`).
"""

import ast
import itertools
import json
import linecache
import re
import sys
import traceback
import types
from dataclasses import dataclass
from pathlib import Path

GRADED_TAG = "graded"
# Where JupyterLab 4 shows a cell's tags; the message for a lost tag points there.
TAG_HINT = (
    "in JupyterLab select the cell, open the Property Inspector (the gear icon in the right "
    "sidebar) and add the tag `graded`"
)

# An IPython magic (`%time`, `%%capture`) or shell escape (`!pip install ...`) on its own line.
_MAGIC_LINE = re.compile(r"^(?P<indent>[ \t]*)[%!]")
_module_ids = itertools.count()


class NotebookError(ValueError):
    """A notebook that cannot be graded; `status` is the grading status it maps to."""

    status = "corrupt_notebook"


class CorruptNotebookError(NotebookError):
    """The file is not a readable Jupyter notebook."""

    status = "corrupt_notebook"


class MissingGradedCellError(NotebookError):
    """The notebook has no code cell tagged `graded`."""

    status = "missing_graded_cell"


class GradedCellSyntaxError(NotebookError):
    """A graded cell is not valid Python."""

    status = "syntax_error"


class SubmissionExecutionError(RuntimeError):
    """Executing the graded cells raised; the message carries the student's traceback."""


@dataclass(frozen=True)
class GradedCell:
    """One graded code cell: its position among all cells, its id and its source."""

    index: int
    cell_id: str
    source: str

    @property
    def label(self) -> str:
        return f"graded cell {self.index} (id {self.cell_id})"


def read_notebook(path) -> dict:
    """Reads a nbformat-4 notebook as plain JSON, raising `CorruptNotebookError` if it is not one.

    Plain `json` rather than nbformat: importing nbformat's schema validator costs seconds, paid
    by every grading subprocess.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"notebook not found: {path}")
    try:
        notebook = json.loads(path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
        raise CorruptNotebookError(f"{path.name} is not valid notebook JSON: {error}") from None
    problem = _structure_problem(notebook)
    if problem:
        raise CorruptNotebookError(f"{path.name} is not a Jupyter notebook: {problem}")
    for cell in notebook["cells"]:
        if isinstance(cell["source"], list):
            cell["source"] = "".join(cell["source"])
    return notebook


def _structure_problem(notebook) -> str | None:
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        return "no list of cells"
    if notebook.get("nbformat") != 4:
        return f"nbformat {notebook.get('nbformat')!r}, expected 4 (save it with Jupyter >= 4)"
    for index, cell in enumerate(notebook["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            return f"cell {index} is malformed"
        source = cell.get("source")
        if not isinstance(source, str) and not (
            isinstance(source, list) and all(isinstance(line, str) for line in source)
        ):
            return f"cell {index} has no text source"
        metadata = cell.get("metadata", {})
        if not isinstance(metadata, dict) or not isinstance(metadata.get("tags", []), list):
            return f"cell {index} has malformed metadata"
    return None


def is_graded(cell) -> bool:
    return cell["cell_type"] == "code" and GRADED_TAG in cell.get("metadata", {}).get("tags", [])


def strip_magics(source: str) -> str:
    """Replaces IPython magic and shell lines by `pass`, keeping line numbers and blocks valid."""
    lines = source.split("\n")
    for number, line in enumerate(lines):
        match = _MAGIC_LINE.match(line)
        if match:
            lines[number] = match["indent"] + "pass"
    return "\n".join(lines)


def graded_cells(notebook) -> list[GradedCell]:
    """The notebook's graded code cells in order, magics stripped."""
    cells = [
        GradedCell(index, str(cell.get("id", index)), strip_magics(cell["source"]))
        for index, cell in enumerate(notebook["cells"])
        if is_graded(cell)
    ]
    if not cells:
        raise MissingGradedCellError(
            f"the notebook has no code cell tagged {GRADED_TAG!r}; the graded cells must keep "
            f"their tag ({TAG_HINT})"
        )
    return cells


def graded_source(notebook) -> str:
    """The graded cells concatenated into one script, each preceded by a comment naming it."""
    return "\n\n".join(f"# {cell.label}\n{cell.source}" for cell in graded_cells(notebook))


class GradedSourceError(AssertionError):
    """The graded cells cannot be parsed for a static check; fails the test that asked."""


def parse_graded_source(text: str) -> ast.Module:
    """Parses the graded cells' text for a static check in the trusted process.

    Hostile or broken text (a syntax error, nesting deep enough to exhaust the parser, a null
    byte) raises `GradedSourceError`, an AssertionError, so the test asking fails cleanly.
    """
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        raise GradedSourceError(
            f"your graded cells cannot be parsed ({type(error).__name__}); fix them first"
        ) from None


def defined_names(source: str) -> set[str]:
    """Top-level functions, classes and assigned names of a cell's source (empty if unparsable)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {target.id for target in targets if isinstance(target, ast.Name)}
    return names


def missing_name_message(name: str, submission=None, template=None) -> str:
    """Why `name` is not among the submission's graded names, for the student.

    With the notebooks (read with `read_notebook`): the template's graded cell that defines
    `name` is found by its cell id in the submission, and the message says whether that cell lost
    its `graded` tag, was deleted, or no longer defines `name` (renamed).
    """
    message = f"function `{name}` is missing from your graded cells"
    if submission is None or template is None:
        return message
    owner = next(
        (cell for cell in template["cells"] if is_graded(cell) and name in defined_names(
            cell["source"])),
        None,
    )
    if owner is None:
        return message
    cell_id = owner.get("id", "?")
    match = next((cell for cell in submission["cells"] if cell.get("id") == cell_id), None)
    if match is None:
        return f"{message}: the graded cell `{cell_id}` that defines it was deleted"
    if not is_graded(match):
        return f"{message}: cell `{cell_id}` lost its `{GRADED_TAG}` tag ({TAG_HINT})"
    return f"{message}: cell `{cell_id}` no longer defines it (keep the names and signatures)"


def compile_graded_cells(notebook, notebook_name: str) -> list[types.CodeType]:
    """Compiles every graded cell without running any of them."""
    codes = []
    for cell in graded_cells(notebook):
        filename = f"<{notebook_name}, {cell.label}>"
        try:
            code = compile(cell.source, filename, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as error:  # ValueError: source holds a null byte.
            where = f", line {error.lineno}" if getattr(error, "lineno", None) else ""
            message = getattr(error, "msg", str(error))
            raise GradedCellSyntaxError(
                f"{notebook_name}: {cell.label}{where}: {type(error).__name__}: {message}"
            ) from None
        # Registered like IPython does so tracebacks, `inspect.getsource` and tf.function see it;
        # mtime None keeps `linecache.checkcache` from evicting the entry.
        lines = cell.source.splitlines(keepends=True)
        linecache.cache[filename] = (len(cell.source), None, lines, filename)
        codes.append(code)
    return codes


def load_graded_code(path) -> list[types.CodeType]:
    """Reads a notebook and compiles its graded cells: every static check, no code executed."""
    path = Path(path)
    return compile_graded_cells(read_notebook(path), path.name)


def _module_name(path: Path) -> str:
    stem = re.sub(r"\W", "_", path.stem)
    return f"_submission_{stem}_{next(_module_ids)}"


def build_module(path, name: str | None = None) -> types.ModuleType:
    """Builds a module from the notebook's graded cells.

    The module is registered in `sys.modules` before its cells run, so dataclasses, pickling and
    Keras serialization can resolve the classes it defines.

    Raises:
        NotebookError: the notebook is unreadable, has no graded cell or one is not valid Python.
        SubmissionExecutionError: a graded cell raised (including `SystemExit`) while executing.
    """
    path = Path(path)
    codes = load_graded_code(path)
    name = name or _module_name(path)
    module = types.ModuleType(name, f"Graded cells of {path.name}.")
    sys.modules[name] = module
    try:
        for code in codes:
            exec(code, module.__dict__)
    except (Exception, SystemExit) as error:
        del sys.modules[name]
        raise SubmissionExecutionError(
            f"executing the graded cells of {path.name} raised "
            f"{type(error).__name__}: {error}\n{_student_traceback(error)}"
        ) from error
    return module


def _student_traceback(error: BaseException) -> str:
    """The traceback of `error` without the grader's own frames."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename != __file__
    ]
    lines = traceback.format_list(frames) + traceback.format_exception_only(error)
    return "Traceback (most recent call last):\n" + "".join(lines)
