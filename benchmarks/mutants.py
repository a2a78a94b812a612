"""Grade every mutant of the solutions (typical student bugs) through the real grader.

    python benchmarks/mutants.py [ASSIGNMENT ...] [-j N] [--markdown]

Each mutant of `tests/assignments/hidden/mutants/catalogue.py` is the solution notebook with one
bug. They are written as one class of submissions per assignment, with the solution and the
released stub beside them, and graded by `autograder.batch.grade_class` (public and hidden
tests, sandboxed). A mutant is caught when it loses points; the script prints each mutant's
score and the catch rate per assignment (`--markdown`: the table for the README), and exits 1
when a mutant scores full marks, the solution does not, or the stub scores anything.
"""

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "tests" / "assignments" / "hidden" / "mutants"))

from catalogue import MUTANTS, mutate  # noqa: E402

from autograder import batch, notebook, release  # noqa: E402


def slug(index: int, mutant) -> str:
    words = re.sub(r"[^a-z0-9]+", "_", mutant.name.lower()).strip("_")
    return f"m{index:02d}_{words}"[:60]


def write_class(assignment: str, folder: Path) -> dict[str, object]:
    """The mutants, the solution and the released stub as `<student>.ipynb` files."""
    solution_path = REPO_ROOT / "solutions" / f"{assignment}.ipynb"
    solution = notebook.read_notebook(solution_path)
    students = {"solution": None, "stub": None}
    (folder / "solution.ipynb").write_text(json.dumps(solution))
    (folder / "stub.ipynb").write_text(release.released_text(solution_path))
    for index, mutant in enumerate(MUTANTS[assignment]):
        name = slug(index, mutant)
        (folder / f"{name}.ipynb").write_text(json.dumps(mutate(solution, mutant)))
        students[name] = mutant
    return students


def grade(assignment: str, jobs: int) -> list[tuple[object, float, float]]:
    """(mutant or "solution"/"stub", score, max score) for every submission of the class."""
    with tempfile.TemporaryDirectory(prefix=f"mutants_{assignment}_") as directory:
        folder, out = Path(directory) / "submissions", Path(directory) / "grades"
        folder.mkdir()
        students = write_class(assignment, folder)
        result = batch.grade_class(assignment, folder, out, jobs=jobs, force=True)
        rows = []
        for data in result.results:
            student = data["extra_data"]["student"]
            key = students[student] if students[student] is not None else student
            rows.append((key, data["score"], data["extra_data"]["max_score"]))
        return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", default=sorted(MUTANTS))
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--markdown", action="store_true", help="print the README table")
    args = parser.parse_args(argv)
    problems, table = [], []
    for assignment in args.assignments:
        rows = grade(assignment, args.jobs)
        mutants = [(key, score, top) for key, score, top in rows if not isinstance(key, str)]
        for key, score, top in rows:
            if key == "solution" and score != top:
                problems.append(f"{assignment}: the solution scores {score:g}/{top:g}")
            elif key == "stub" and score != 0:
                problems.append(f"{assignment}: the released stub scores {score:g}/{top:g}")
        for mutant, score, top in mutants:
            caught = score < top
            print(f"{assignment:22} {mutant.name:60.60} {score:5g}/{top:g} "
                  f"{'caught' if caught else 'MISSED'}", flush=True)
            if not caught:
                problems.append(f"{assignment}: mutant {mutant.name!r} scores full marks")
        caught = sum(score < top for _, score, top in mutants)
        mean_loss = sum(top - score for _, score, top in mutants) / max(len(mutants), 1)
        table.append((assignment, len(mutants), caught, mean_loss))
        print(f"{assignment}: {caught}/{len(mutants)} mutants caught, mean points lost "
              f"{mean_loss:.1f}\n", flush=True)
    if args.markdown:
        print("| assignment | mutants | caught | catch rate | mean points lost |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for assignment, count, caught, mean_loss in table:
            print(f"| {assignment} | {count} | {caught} | {caught / count:.0%} | "
                  f"{mean_loss:.1f} |")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
