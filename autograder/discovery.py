"""Finding the submissions of a class folder, without ever trusting what is in it.

A submission is `<student>.ipynb` or a folder `<student>/` holding exactly one notebook (hidden
files and folders such as `.ipynb_checkpoints/` are ignored). Whatever a folder holds, each
student gets one `Submission`; one that cannot be graded carries a `problem` (graded as
`invalid_submission`) instead of stopping the batch:

- symbolic links are never followed: a notebook that is a link, dangling or pointing out of the
  submission (to the solution, to a classmate), makes the submission invalid; a link to a file
  inside the same submission is ignored (the file itself counts);
- an entry named `*.ipynb` that is not a regular file (a folder, a FIFO, a device) is invalid,
  and reading a notebook never blocks or follows a link swapped in later (`O_NOFOLLOW`, opened
  component by component from the submission folder, `O_NONBLOCK`);
- student names are escaped (control characters, backslashes), so they are safe as folder
  names, in terminal output and in grades.csv.
"""

import os
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

NOTEBOOK_SUFFIX = ".ipynb"
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
# A submission folder with more entries than this is not worth walking.
MAX_ENTRIES = 10_000
_MAX_NAME_BYTES = 200


class SubmissionProblem(ValueError):
    """A submission that cannot be graded; the message is meant for the student."""


@dataclass(frozen=True)
class Submission:
    """One student's submission: `notebook` (relative to `root`) when exactly one was found."""

    student: str
    root: Path
    notebook: tuple[str, ...] | None
    problem: str = ""

    @property
    def notebook_name(self) -> str:
        return self.notebook[-1] if self.notebook else ""


def escape_name(raw: str) -> str:
    """A printable, reversible spelling of a file name: `\\` doubled, control, format and
    undecodable characters as `\\xNN` / `\\uNNNN`."""
    escaped = []
    for char in raw:
        if char == "\\":
            escaped.append("\\\\")
        elif unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            code = ord(char)
            escaped.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            escaped.append(char)
    name = "".join(escaped)
    if len(name.encode("utf-8", "surrogatepass")) > _MAX_NAME_BYTES:
        name = name[:_MAX_NAME_BYTES // 4] + "..."  # Still unique: the collision check below.
    return name


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "a special file"


def _mode(entry: os.DirEntry) -> int:
    try:
        return entry.stat(follow_symlinks=False).st_mode
    except OSError:  # Gone since the listing: nothing to grade there.
        return 0


def _link_problem(link: Path, root: Path, shown: str) -> str | None:
    """None for a link to a file inside `root` (ignored), else why it makes the submission
    invalid."""
    target = Path(os.path.realpath(link))
    if not target.exists():
        return f"{shown} is a symbolic link that points nowhere; upload the notebook itself"
    if Path(os.path.realpath(root)) in target.parents:
        return None
    return (f"{shown} is a symbolic link to a file outside the submission; the grader never "
            "follows links: upload the notebook itself")


def scan_folder(root: Path, student: str) -> Submission:
    """The submission a student's folder holds (Gradescope's upload folder, say)."""
    notebooks, problems, entries = [], [], 0
    pending = [()]
    while pending:
        relative = pending.pop()
        try:
            listing = sorted(os.scandir(root.joinpath(*relative)), key=lambda entry: entry.name)
        except OSError as error:
            problems.append(f"cannot read the folder {'/'.join(relative) or '.'}: "
                            f"{error.strerror}")
            continue
        for entry in listing:
            entries += 1
            if entries > MAX_ENTRIES:
                return Submission(student, root, None,
                                  f"the submission holds more than {MAX_ENTRIES} files")
            if entry.name.startswith("."):
                continue
            parts = relative + (entry.name,)
            shown = escape_name("/".join(parts))
            mode = _mode(entry)
            if stat.S_ISLNK(mode):
                if entry.name.endswith(NOTEBOOK_SUFFIX):
                    problem = _link_problem(Path(entry.path), root, shown)
                    if problem:
                        problems.append(problem)
            elif stat.S_ISDIR(mode) and not entry.name.endswith(NOTEBOOK_SUFFIX):
                if not entry.name.startswith("__"):  # __MACOSX, __pycache__
                    pending.append(parts)
            elif entry.name.endswith(NOTEBOOK_SUFFIX):
                if stat.S_ISREG(mode):
                    notebooks.append(parts)
                else:
                    problems.append(f"{shown} is {_kind(mode)}, not a notebook file")
    if problems:
        return Submission(student, root, None, "; ".join(problems))
    if len(notebooks) != 1:
        found = ", ".join(escape_name("/".join(parts)) for parts in notebooks) or "none"
        return Submission(student, root, None,
                          f"expected exactly one notebook (.ipynb) in the submission, "
                          f"found {len(notebooks)}: {found}")
    return Submission(student, root, notebooks[0])


def find_submissions(directory) -> tuple[list[Submission], list[str]]:
    """The class folder's submissions sorted by student, and the (escaped) names of entries that
    are not submissions (other files), to report.

    Raises:
        FileNotFoundError: `directory` is not a folder.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"submissions directory not found: {directory}")
    found: dict[str, list[Submission]] = {}
    ignored = []
    for entry in sorted(os.scandir(directory), key=lambda entry: entry.name):
        if entry.name.startswith((".", "__")):
            continue
        mode = _mode(entry)
        is_notebook = entry.name.endswith(NOTEBOOK_SUFFIX)
        student = escape_name(entry.name.removesuffix(NOTEBOOK_SUFFIX) if is_notebook
                              else entry.name)
        path = Path(entry.path)
        shown = escape_name(entry.name)
        if stat.S_ISLNK(mode):
            if not (is_notebook or os.path.isdir(path)):
                ignored.append(shown)
                continue
            submission = Submission(student, path, None,
                                    f"{shown} is a symbolic link; the grader never follows links: "
                                    "copy the submission itself into the class folder")
        elif is_notebook and stat.S_ISREG(mode):
            submission = Submission(student, directory, (entry.name,))
        elif is_notebook:
            submission = Submission(student, path, None,
                                    f"{shown} is {_kind(mode)}, not a notebook file")
        elif stat.S_ISDIR(mode):
            submission = scan_folder(path, student)
        else:
            ignored.append(shown)
            continue
        found.setdefault(student, []).append(submission)
    submissions = []
    for student, entries in sorted(found.items()):
        if len(entries) > 1:
            entries = [Submission(student, directory, None,
                                  f"{len(entries)} submissions are named {student!r} "
                                  f"(say {student}.ipynb and {student}/): keep one")]
        submissions.append(entries[0])
    return submissions, ignored


def read_notebook_bytes(submission: Submission, limit: int = MAX_NOTEBOOK_BYTES) -> bytes:
    """The submission's notebook file, read without following links or blocking.

    Raises:
        SubmissionProblem: the submission has a problem, or its notebook is not a readable
            regular file of at most `limit` bytes.
    """
    if submission.notebook is None:
        raise SubmissionProblem(submission.problem)
    shown = escape_name("/".join(submission.notebook))
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    descriptors = []
    try:
        # The class folder may be a link (the instructor's choice); nothing below it may.
        folder = os.open(submission.root, os.O_RDONLY | os.O_CLOEXEC | os.O_DIRECTORY)
        descriptors.append(folder)
        for part in submission.notebook[:-1]:
            folder = os.open(part, flags | os.O_DIRECTORY, dir_fd=folder)
            descriptors.append(folder)
        descriptor = os.open(submission.notebook[-1], flags | os.O_NONBLOCK, dir_fd=folder)
        descriptors.append(descriptor)
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise SubmissionProblem(f"{shown} is {_kind(info.st_mode)}, not a notebook file")
        if info.st_size > limit:
            raise SubmissionProblem(f"{shown} is larger than {limit >> 20} MiB")
        with os.fdopen(os.dup(descriptor), "rb") as file:
            data = file.read(limit + 1)
    except OSError as error:
        raise SubmissionProblem(f"cannot read {shown}: {error.strerror or error}") from None
    finally:
        for descriptor in descriptors:
            os.close(descriptor)
    if len(data) > limit:
        raise SubmissionProblem(f"{shown} is larger than {limit >> 20} MiB")
    return data
