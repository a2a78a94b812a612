"""Train-step time of the seqlib recurrent layers relative to their Keras counterparts.

    python benchmarks/cells.py            # batch 64, T=100, d=32, u=128, 30 timed steps
    python benchmarks/cells.py --quick    # tiny shapes and 3 steps: a smoke run

Each model is `Input -> recurrent layer -> Dense(1)` trained with SGD on MSE through a
jit-compiled train step on the current Keras backend. After warm-up, the steps of all models
are interleaved and the median step time of each is compared with its baseline's, both in
wall-clock time and in process CPU time. The targets are judged on CPU time: on a shared
machine the wall clock mostly measures how long the process waited for a core.
"""

import argparse
import os
import random
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from seqlib.layers import (
    IRNN,  # noqa: E402
    CoupledLSTM,  # noqa: E402
    PeepholeLSTM,  # noqa: E402
)

# (name, layer factory, baseline name, target ratio or None)
CANDIDATES = (
    ("PeepholeLSTM", PeepholeLSTM, "LSTM", 1.10),
    ("CoupledLSTM", CoupledLSTM, "LSTM", 1.00),
    ("CoupledLSTM(use_peepholes)", lambda u: CoupledLSTM(u, use_peepholes=True), "LSTM", None),
    ("IRNN", IRNN, "SimpleRNN", 1.05),
)
BASELINES = {"LSTM": keras.layers.LSTM, "SimpleRNN": keras.layers.SimpleRNN}


def build_model(make_layer, time_steps, features, units):
    model = keras.Sequential(
        [keras.Input((time_steps, features)), make_layer(units), keras.layers.Dense(1)]
    )
    model.compile(optimizer="sgd", loss="mse", jit_compile=True)
    return model


def step_times(models, x, y, warmup, steps):
    """Median wall and process-CPU seconds per `train_on_batch` of each model.

    Steps are interleaved across models in a shuffled order each round, so no model always
    runs right after the same neighbour and bursts of outside load hit every model alike.
    """
    for model in models.values():
        for _ in range(warmup):
            model.train_on_batch(x, y)
    wall = {name: [] for name in models}
    cpu = {name: [] for name in models}
    order = list(models)
    shuffler = random.Random(0)
    for _ in range(steps):
        shuffler.shuffle(order)
        for name in order:
            wall_start, cpu_start = time.perf_counter(), time.process_time()
            models[name].train_on_batch(x, y)
            wall[name].append(time.perf_counter() - wall_start)
            cpu[name].append(time.process_time() - cpu_start)
    return (
        {name: statistics.median(samples) for name, samples in wall.items()},
        {name: statistics.median(samples) for name, samples in cpu.items()},
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny shapes, 3 steps (smoke run)")
    parser.add_argument("--steps", type=int, default=30, help="timed steps per model")
    args = parser.parse_args(argv)
    if args.quick:
        batch, time_steps, features, units, warmup, steps = 8, 10, 4, 8, 1, 3
    else:
        batch, time_steps, features, units, warmup, steps = 64, 100, 32, 128, 3, args.steps

    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, time_steps, features)).astype("float32")
    y = rng.standard_normal((batch, 1)).astype("float32")
    factories = {**BASELINES, **{name: make for name, make, _, _ in CANDIDATES}}
    models = {
        name: build_model(make, time_steps, features, units) for name, make in factories.items()
    }
    wall, cpu = step_times(models, x, y, warmup, steps)

    print(
        f"backend={keras.backend.backend()} batch={batch} T={time_steps} d={features} "
        f"u={units}, median of {steps} jit-compiled train steps (wall ms, CPU ms)"
    )
    for name in BASELINES:
        print(f"  {name:28s} {wall[name] * 1e3:8.2f} {cpu[name] * 1e3:8.2f}")
    ratios = {}
    for name, _, baseline, target in CANDIDATES:
        ratios[name] = cpu[name] / cpu[baseline]
        verdict = ""
        if target is not None:
            met = "ok" if ratios[name] <= target else "MISSED"
            verdict = f"  target <= {target:.2f}x: {met}"
        print(
            f"  {name:28s} {wall[name] * 1e3:8.2f} {cpu[name] * 1e3:8.2f}   "
            f"wall {wall[name] / wall[baseline]:.3f}x  CPU {ratios[name]:.3f}x {baseline}{verdict}"
        )
    return ratios


if __name__ == "__main__":
    main()
