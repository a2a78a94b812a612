import subprocess
import sys

CODE = """
import sys
from seqlib import data
data.adding_problem(2, 4)
data.Vocabulary("ab")
print(sorted(m for m in ("tensorflow", "tensorflow_datasets", "keras") if m in sys.modules))
"""


def test_numpy_generators_do_not_import_tensorflow():
    result = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
