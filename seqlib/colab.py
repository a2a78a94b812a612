"""Makes every lesson and assignment open in Google Colab with one setup cell.

    python -m seqlib.colab            # update lessons/*.ipynb and solutions/*.ipynb in place
    python -m seqlib.colab --check    # exit 1 and name the notebooks that are out of date

The setup cell is the first code cell, tagged ``colab-setup``. On Colab it clones the course
repository (``[project.urls] Repository`` in pyproject.toml, the one setting a fork changes) and
installs it without TensorFlow, which Colab already has, with its GPU build. Everywhere it then
imports seqlib before anything else, which quiets TensorFlow's start-up logging
(``seqlib.quiet``). The title cell gets an "Open in Colab" link; a solution's link opens the
student copy in assignments/, which ``python -m autograder release`` generates with both intact.
Running the tool twice changes nothing the second time.
"""

import argparse
import re
import sys
import tomllib
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SETUP_TAG = "colab-setup"
COLAB_LINK = re.compile(r"^\[Open in Colab\]\(https://colab\.research\.google\.com/\S*\)\n*",
                        re.MULTILINE)
CLONE_DIR = "/content/seqcourse"


def repository_url(pyproject=ROOT / "pyproject.toml"):
    """The course repository, from ``[project.urls] Repository`` in pyproject.toml."""
    urls = tomllib.loads(Path(pyproject).read_text())["project"].get("urls", {})
    if "Repository" not in urls:
        raise ValueError(f"{pyproject} has no [project.urls] Repository entry")
    return urls["Repository"].rstrip("/")


def colab_url(relative_path, repository, branch="main"):
    """The Colab address of a notebook in a GitHub repository."""
    match = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)(?:\.git)?", repository)
    if not match:
        raise ValueError(f"Colab opens notebooks from GitHub; {repository!r} is not a "
                         "https://github.com/OWNER/REPO address")
    owner, name = match.groups()
    return (f"https://colab.research.google.com/github/{owner}/{name}/blob/{branch}/"
            f"{Path(relative_path).as_posix()}")


def setup_cell_source(repository):
    return f'''# Course setup (keep it the first code cell). On Colab it installs the course (its
# own TensorFlow stays); everywhere, importing seqlib first quiets TensorFlow's start-up logs.
import sys

if "google.colab" in sys.modules:
    import os
    import subprocess

    REPOSITORY = "{repository}"
    CLONE = "{CLONE_DIR}"
    if not os.path.isdir(CLONE):
        subprocess.run(["git", "clone", "--depth", "1", REPOSITORY, CLONE], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-e", CLONE], check=True)
    sys.path.insert(0, CLONE)

import seqlib  # noqa: E402

print("seqlib", seqlib.__version__, "| fast mode:", seqlib.fast_mode())'''


def student_path(path):
    """The path students open: a solution's student copy lives in assignments/."""
    path = Path(path).resolve()
    if ROOT not in path.parents:
        raise ValueError(f"{path} is outside the course at {ROOT}; Colab links need its place")
    relative = path.relative_to(ROOT)
    if relative.parts[0] == "solutions":
        return Path("assignments", *relative.parts[1:])
    return relative


def update_notebook(notebook, relative_path, repository):
    """Puts the setup cell first among code cells and the Colab link under the title.

    Returns True when the notebook changed.
    """
    before = nbformat.writes(notebook)
    setup = [cell for cell in notebook.cells if SETUP_TAG in cell.metadata.get("tags", [])]
    for cell in setup:
        notebook.cells.remove(cell)
    cell = setup[0] if setup else nbformat.v4.new_code_cell(metadata={"tags": [SETUP_TAG]})
    cell.source = setup_cell_source(repository)
    first_code = next((i for i, c in enumerate(notebook.cells) if c.cell_type == "code"),
                      len(notebook.cells))
    notebook.cells.insert(first_code, cell)

    title = next((c for c in notebook.cells if c.cell_type == "markdown"), None)
    if title is None:
        raise ValueError(f"{relative_path} has no markdown title cell for the Colab link")
    heading, _, rest = COLAB_LINK.sub("", title.source).partition("\n")
    link = f"[Open in Colab]({colab_url(relative_path, repository)})"
    title.source = f"{heading}\n\n{link}\n\n{rest.lstrip(chr(10))}".rstrip("\n")
    return nbformat.writes(notebook) != before


def course_notebooks(root=ROOT):
    return sorted((root / "lessons").glob("*.ipynb")) + sorted((root / "solutions").glob("*.ipynb"))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m seqlib.colab", description=__doc__.split(
        "\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to update (default: lessons/ and solutions/)")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a notebook needs updating")
    args = parser.parse_args(argv)
    repository = repository_url()
    stale = []
    for path in args.notebooks or course_notebooks():
        notebook = nbformat.read(path, as_version=4)
        if update_notebook(notebook, student_path(path), repository):
            stale.append(path)
            if not args.check:
                nbformat.write(notebook, path)
    verb = "need" if args.check else "updated"
    print(f"{len(stale)} notebook(s) {verb} the Colab setup cell or link"
          + "".join(f"\n  {p}" for p in stale))
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
