"""The self-check cell of an assignment: grade the notebook it runs in, whatever its name.

The kernel learns its notebook's path from the front end: JupyterLab (jupyter_server >= 2) sets
the `JPY_SESSION_NAME` environment variable, VS Code the `__vsc_ipynb_file__` global. Without
either, the student is told the command to run by hand.
"""

import os
import subprocess
import sys
from pathlib import Path


def _kernel_globals() -> dict:
    try:
        from IPython import get_ipython
    except ImportError:
        return {}
    shell = get_ipython()
    return shell.user_ns if shell is not None else {}


def this_notebook() -> Path | None:
    """The path of the notebook whose kernel runs this, or None when the front end says not."""
    for hint in (_kernel_globals().get("__vsc_ipynb_file__"), os.environ.get("JPY_SESSION_NAME")):
        if not hint:
            continue
        # JupyterLab gives the path relative to its root folder or absolute; the kernel runs in
        # the notebook's folder, so its name there is the fallback.
        for candidate in (Path(hint), Path.cwd() / Path(hint).name):
            if candidate.suffix == ".ipynb" and candidate.is_file():
                return candidate.resolve()
    return None


def check_this_notebook(assignment: str) -> int:
    """Runs `python -m autograder check <assignment> <this notebook>` and prints its report.

    Returns the check's exit status (2 when this notebook cannot be found).
    """
    path = this_notebook()
    if path is None:
        print(
            "Cannot tell which notebook this is (this front end does not say). Save it, then "
            f"run in a terminal, in the course folder:\n\n    python -m autograder check "
            f"{assignment} PATH/TO/YOUR_NOTEBOOK.ipynb"
        )
        return 2
    print(f"Checking {path.name} as saved on disk (save it first to check your latest edits)\n")
    result = subprocess.run(
        [sys.executable, "-m", "autograder", "check", assignment, str(path)],
        capture_output=True, text=True, check=False,
    )
    print(result.stdout + result.stderr, end="")
    return result.returncode
