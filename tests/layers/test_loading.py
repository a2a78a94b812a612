"""A `.keras` file with seqlib layers loads in a fresh process after a plain `import seqlib`."""

import subprocess
import sys

import keras
import numpy as np
import pytest

from seqlib.layers import IRNN, BahdanauAttention, CoupledLSTM, PeepholeLSTM

TIME, FEATURES, UNITS = 6, 5, 4

# Loads the model in a fresh interpreter and saves its predictions.
LOADER = """
import sys
{imports}
import numpy as np
model = keras.saving.load_model(sys.argv[1])
print([type(layer).__name__ for layer in model.layers])
np.save(sys.argv[3], model.predict(np.load(sys.argv[2]), verbose=0))
print("seqlib imported:", "seqlib" in sys.modules)
"""
IMPORTS = {
    "seqlib, then keras": (
        "import seqlib\nassert 'keras' not in sys.modules, 'import seqlib loaded Keras'\n"
        "import keras"
    ),
    "keras, then seqlib": "import keras\nimport seqlib",
    # The control: without seqlib, Keras cannot find the classes (or imports seqlib itself).
    "keras alone": "import keras",
}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    directory = tmp_path_factory.mktemp("saved")
    sequences = keras.Input((TIME, FEATURES))
    hidden = PeepholeLSTM(UNITS, return_sequences=True)(sequences)
    hidden = CoupledLSTM(UNITS, use_peepholes=True, return_sequences=True)(hidden)
    context, _ = BahdanauAttention(UNITS)(IRNN(UNITS)(hidden), hidden)
    model = keras.Model(sequences, context)
    inputs = np.random.default_rng(0).standard_normal((2, TIME, FEATURES)).astype("float32")
    model.save(directory / "model.keras")
    np.save(directory / "inputs.npy", inputs)
    return directory, model.predict(inputs, verbose=0)


def test_loads_after_import_seqlib_in_either_order(saved):
    directory, expected = saved
    runs = {  # started together: each pays Keras's import, and there are two cores
        name: subprocess.Popen(
            [
                sys.executable, "-c", LOADER.format(imports=imports),
                str(directory / "model.keras"), str(directory / "inputs.npy"),
                str(directory / f"{index}.npy"),
            ],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for index, (name, imports) in enumerate(IMPORTS.items())
    }
    results = {name: (run, *run.communicate(timeout=300)) for name, run in runs.items()}
    for index, name in enumerate(["seqlib, then keras", "keras, then seqlib"]):
        run, out, err = results[name]
        assert run.returncode == 0, f"{name}:\n{err}"
        assert "PeepholeLSTM" in out and "BahdanauAttention" in out, f"{name}: {out}"
        np.testing.assert_allclose(np.load(directory / f"{index}.npy"), expected, rtol=1e-6)
    run, out, err = results["keras alone"]
    if run.returncode == 0:
        # Keras 3.6 imports any module a file names (newer releases only Keras's own).
        assert "seqlib imported: True" in out, out
    else:
        assert "Could not locate class 'PeepholeLSTM'" in err, err
