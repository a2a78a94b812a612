"""Train-step time of the seqlib recurrent layers relative to their Keras counterparts.

    python benchmarks/cells.py            # batch 64, T=100, d=32, u=128, 30 timed steps
    python benchmarks/cells.py --quick    # tiny shapes and 3 steps: a smoke run
    python benchmarks/cells.py --no-jax   # skip the JAX column
    python benchmarks/cells.py --instances 1   # one model per layer and mode (faster, noisier)

Each model is `Input -> recurrent layer -> Dense(1)` trained with SGD on MSE. Three columns:

- default: `compile()` with Keras's default `jit_compile="auto"`, which on a TensorFlow CPU
  machine means a `tf.function` graph without XLA (on a GPU it would mean XLA);
- jit: `compile(jit_compile=True)`, the TensorFlow graph compiled by XLA;
- JAX: the same script in a child process with `KERAS_BACKEND=jax`, where "auto" jit-compiles.

After warm-up, the steps of all models of a backend (both modes) are interleaved and the
median step time of each layer is compared with its baseline's in the same mode, in process CPU
time and in wall-clock time. Each layer is built as several models (`--instances`, default 3)
whose steps are pooled: one model can run a few percent fast or slow for its whole life (where
its buffers happen to land), and with one model per layer the same PeepholeLSTM measured
anywhere from 1.01x to 1.10x of LSTM in single-threaded runs of one machine; pooling three
narrowed that to about ±1.5%. The targets are judged on CPU time in the default mode: on a
shared machine the wall clock mostly measures how long the process waited for a core.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from seqlib.layers import IRNN, CoupledLSTM, PeepholeLSTM  # noqa: E402

# (name, layer factory, baseline name, target CPU-time ratio in the default mode, or None)
CANDIDATES = (
    ("PeepholeLSTM", PeepholeLSTM, "LSTM", 1.00),
    ("CoupledLSTM", CoupledLSTM, "LSTM", 0.85),
    ("CoupledLSTM(use_peepholes)", lambda u: CoupledLSTM(u, use_peepholes=True), "LSTM", None),
    ("IRNN", IRNN, "SimpleRNN", 1.00),
)
BASELINES = {"LSTM": keras.layers.LSTM, "SimpleRNN": keras.layers.SimpleRNN}
# compile() arguments per mode; on JAX "auto" already jit-compiles, so one mode suffices.
MODES = {"tensorflow": {"default": "auto", "jit": True}, "jax": {"JAX": "auto"}}


def build_model(make_layer, time_steps, features, units, jit_compile):
    model = keras.Sequential(
        [keras.Input((time_steps, features)), make_layer(units), keras.layers.Dense(1)]
    )
    model.compile(optimizer="sgd", loss="mse", jit_compile=jit_compile)
    return model


def step_times(models, x, y, warmup, steps):
    """Wall and process-CPU seconds of each `train_on_batch` of each model, as two dicts of lists.

    Steps are interleaved across models in a shuffled order each round, so no model always
    runs right after the same neighbour and bursts of outside load hit every model alike.
    """
    for model in models.values():
        for _ in range(warmup):
            model.train_on_batch(x, y)
    wall = {key: [] for key in models}
    cpu = {key: [] for key in models}
    order = list(models)
    shuffler = random.Random(0)
    for _ in range(steps):
        shuffler.shuffle(order)
        for key in order:
            wall_start, cpu_start = time.perf_counter(), time.process_time()
            models[key].train_on_batch(x, y)
            wall[key].append(time.perf_counter() - wall_start)
            cpu[key].append(time.process_time() - cpu_start)
    return wall, cpu


def measure(quick, steps, instances):
    """Median (wall, CPU) seconds per step of every layer, its `instances` models' steps pooled,
    in every mode of this backend."""
    if quick:
        batch, time_steps, features, units, warmup = 8, 10, 4, 8, 1
    else:
        batch, time_steps, features, units, warmup = 64, 100, 32, 128, 3
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, time_steps, features)).astype("float32")
    y = rng.standard_normal((batch, 1)).astype("float32")
    factories = {**BASELINES, **{name: make for name, make, _, _ in CANDIDATES}}
    models = {
        (mode, name, instance): build_model(make, time_steps, features, units, jit_compile)
        for mode, jit_compile in MODES[keras.backend.backend()].items()
        for name, make in factories.items()
        for instance in range(instances)
    }
    wall, cpu = step_times(models, x, y, warmup, steps)

    def pooled_median(samples, mode, name):
        return statistics.median(
            t for instance in range(instances) for t in samples[mode, name, instance]
        )

    shape = f"batch={batch} T={time_steps} d={features} u={units}"
    return shape, {
        mode: {
            name: (pooled_median(wall, mode, name), pooled_median(cpu, mode, name))
            for name in factories
        }
        for mode in MODES[keras.backend.backend()]
    }


def measure_jax(quick, steps, instances):
    """Runs this script with `KERAS_BACKEND=jax` and returns its per-mode times."""
    command = [
        sys.executable, __file__, "--json", "--steps", str(steps), "--instances", str(instances)
    ]
    if quick:
        command.append("--quick")
    result = subprocess.run(
        command, env={**os.environ, "KERAS_BACKEND": "jax"}, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"the JAX run failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def ratios(times):
    """CPU-time and wall-time ratio of each candidate to its baseline in the same mode."""
    return {
        name: (times[name][1] / times[baseline][1], times[name][0] / times[baseline][0])
        for name, _, baseline, _ in CANDIDATES
    }


def report(shape, steps, instances, times):
    modes = list(times)
    print(
        f"{shape}, median of {steps} interleaved train steps of each of {instances} models per "
        "layer; columns: " + ", ".join(modes)
    )
    print("  default = Keras's default compile (no XLA on a TF CPU machine), jit = "
          "jit_compile=True (XLA), JAX = KERAS_BACKEND=jax (XLA)")
    print("\n  milliseconds per step (CPU / wall)")
    for name in times[modes[0]]:
        cells = "  ".join(
            f"{times[m][name][1] * 1e3:7.2f} /{times[m][name][0] * 1e3:7.2f}" for m in modes
        )
        print(f"  {name:28s} {cells}")
    table = {mode: ratios(times[mode]) for mode in modes}
    print("\n  ratio to the Keras baseline (CPU time, wall time in brackets)")
    print(f"  {'':28s} " + "  ".join(f"{m:>16s}" for m in modes) + "   target (default, CPU)")
    for name, _, baseline, target in CANDIDATES:
        cells = "  ".join(
            f"{table[m][name][0]:6.3f}x ({table[m][name][1]:5.2f}x)" for m in modes
        )
        verdict = ""
        if target is not None and "default" in table:
            met = "ok" if table["default"][name][0] <= target else "MISSED"
            verdict = f"   <= {target:.2f}x {baseline}: {met}"
        print(f"  {name:28s} {cells}{verdict}")
    return table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny shapes, 3 steps (smoke run)")
    parser.add_argument("--steps", type=int, default=30, help="timed steps per model")
    parser.add_argument("--instances", type=int, default=3, help="models per layer and mode")
    parser.add_argument("--no-jax", action="store_true", help="skip the JAX child process")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # child mode
    args = parser.parse_args(argv)
    steps = 3 if args.quick else args.steps
    instances = 1 if args.quick else args.instances

    shape, times = measure(args.quick, steps, instances)
    if args.json:
        print(json.dumps(times))
        return None
    if keras.backend.backend() != "jax" and not args.no_jax:
        times.update(measure_jax(args.quick, steps, instances))
    return report(shape, steps, instances, times)


if __name__ == "__main__":
    main()
