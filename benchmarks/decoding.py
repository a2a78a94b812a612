"""Seconds to decode 1,000 number translations with beam search (width 4), and vs greedy.

    python benchmarks/decoding.py               # 1,000 English -> French numbers, 2 epochs
    python benchmarks/decoding.py --epochs 0    # untrained model: outputs run to max length
    python benchmarks/decoding.py --quick       # 50 numbers, tiny model: a smoke run

Two measurements, on the current Keras backend:

1. A lesson-08-sized GRU encoder-decoder (embedding 32, 128 units), trained for `--epochs` on
   8,000 pairs so that it emits EOS where a real model would, decodes the 1,000 test numbers.
   `seqlib.decoding` drives the one-step decoder (`predict_on_batch` on all live rows at
   once); the time is split into the model's steps and the search's own NumPy bookkeeping.
2. The search alone: the same 1,000 items under a model-free step function (a bigram table
   of the training targets), decoded as one batch and item by item. The first is what the
   decoders cost on top of any model; the ratio shows what vectorising over the batch buys.

Times are wall-clock seconds and process CPU seconds; on a shared machine trust the CPU time.
Training time is not counted.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers, ops  # noqa: E402

from seqlib import data, decoding  # noqa: E402

BEAM_WIDTH = 4


class Clock:
    """Accumulates wall and process-CPU seconds over `with clock:` blocks."""

    def __init__(self):
        self.wall = self.cpu = 0.0

    def __enter__(self):
        self._start = time.perf_counter(), time.process_time()

    def __exit__(self, *exc):
        self.wall += time.perf_counter() - self._start[0]
        self.cpu += time.process_time() - self._start[1]


def build_seq2seq(source_vocab_size, target_vocab_size, units, embedding_dim):
    """(training model, encoder, one-step decoder) sharing weights, as in lesson 08."""
    source_embedding = layers.Embedding(source_vocab_size, embedding_dim, mask_zero=True)
    encoder_rnn = layers.GRU(units, return_state=True)
    target_embedding = layers.Embedding(target_vocab_size, embedding_dim, mask_zero=True)
    decoder_rnn = layers.GRU(units, return_sequences=True, return_state=True)
    readout = layers.Dense(target_vocab_size)

    source = keras.Input((None,), dtype="int32")
    _, context = encoder_rnn(source_embedding(source))
    decoder_input = keras.Input((None,), dtype="int32")
    states, _ = decoder_rnn(target_embedding(decoder_input), initial_state=context)
    model = keras.Model([source, decoder_input], readout(states))
    model.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    previous_token = keras.Input((1,), dtype="int32")
    previous_state = keras.Input((units,))
    output, state = decoder_rnn(target_embedding(previous_token), initial_state=previous_state)
    log_probs = ops.log_softmax(readout(output[:, 0]))
    step = keras.Model([previous_token, previous_state], [log_probs, state])
    return model, keras.Model(source, context), step


def model_step_fn(decoder_step, clock):
    def step_fn(tokens, state):
        with clock:
            log_probs, state = decoder_step.predict_on_batch([tokens[:, None], state])
        return np.asarray(log_probs), np.asarray(state)

    return step_fn


def bigram_step_fn(targets, vocab_size):
    """log p(next | previous) counted on the training targets (add-one smoothed)."""
    counts = np.ones((vocab_size, vocab_size))
    np.add.at(counts, (targets[:, :-1].ravel(), targets[:, 1:].ravel()), 1)
    log_table = np.log(counts / counts.sum(axis=1, keepdims=True))

    def step_fn(tokens, state):
        return log_table[tokens], state

    return step_fn


def timed(decode):
    clock = Clock()
    with clock:
        result = decode()
    return result, clock


def exact_match(predicted, targets, vocab):
    return np.mean([vocab.decode(p) == vocab.decode(t[1:]) for p, t in zip(predicted, targets)])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2, help="training epochs before decoding")
    parser.add_argument("--quick", action="store_true", help="50 numbers, tiny model")
    args = parser.parse_args(argv)
    count, units, num_examples = (50, 16, 500) if args.quick else (1000, 128, 10_000)

    keras.utils.set_random_seed(0)
    translation = data.number_translation("fr", num_examples=num_examples, seed=0)
    (train_source, train_target), (sources, targets) = translation.train, translation.test
    sources, targets = sources[:count], targets[:count]
    vocab = translation.target_vocab
    bos, eos, max_length = vocab.bos_id, vocab.eos_id, targets.shape[1]
    model, encoder, decoder_step = build_seq2seq(
        len(translation.source_vocab), len(vocab), units, embedding_dim=32
    )
    if args.epochs:
        model.fit([train_source, train_target[:, :-1]], train_target[:, 1:], batch_size=64,
                  epochs=args.epochs, verbose=0)
    context = np.asarray(encoder.predict(sources, verbose=0, batch_size=count))

    model_clock = {name: Clock() for name in ("greedy", "beam")}
    # Warm-up: trace the step for both row counts (count for greedy, 4 * count for beam).
    decoding.greedy_decode(model_step_fn(decoder_step, Clock()), context, bos, eos, 1)
    decoding.beam_search(model_step_fn(decoder_step, Clock()), context, bos, eos, 1,
                         beam_width=BEAM_WIDTH)
    greedy, greedy_clock = timed(lambda: decoding.greedy_decode(
        model_step_fn(decoder_step, model_clock["greedy"]), context, bos, eos, max_length))
    beams, beam_clock = timed(lambda: decoding.beam_search(
        model_step_fn(decoder_step, model_clock["beam"]), context, bos, eos, max_length,
        beam_width=BEAM_WIDTH))
    greedy_accuracy = exact_match(greedy, targets, vocab)
    beam_accuracy = exact_match([hypotheses[0][0] for hypotheses in beams], targets, vocab)

    print(f"backend={keras.backend.backend()}: {count} English -> French numbers, "
          f"max_length={max_length}, GRU {units} units trained {args.epochs} epoch(s)")
    print("                              wall s   CPU s   of which model CPU s   search CPU s")
    for name, clock in (("greedy", greedy_clock), (f"beam {BEAM_WIDTH}", beam_clock)):
        step = model_clock[name.split()[0]]
        print(f"  {name:26s} {clock.wall:7.2f} {clock.cpu:7.2f} {step.cpu:17.2f} "
              f"{clock.cpu - step.cpu:14.2f}")
    print(f"  beam / greedy: {beam_clock.cpu / greedy_clock.cpu:.2f}x CPU time, "
          f"{beam_clock.wall / greedy_clock.wall:.2f}x wall time; exact match greedy "
          f"{greedy_accuracy:.3f}, beam {beam_accuracy:.3f}")

    step_fn = bigram_step_fn(train_target, len(vocab))
    batch_size = len(sources)
    _, greedy_search = timed(lambda: decoding.greedy_decode(
        step_fn, None, bos, eos, max_length, batch_size=batch_size))
    _, batch_search = timed(lambda: decoding.beam_search(
        step_fn, None, bos, eos, max_length, beam_width=BEAM_WIDTH, batch_size=batch_size))
    _, item_search = timed(lambda: [
        decoding.beam_search(step_fn, None, bos, eos, max_length, beam_width=BEAM_WIDTH,
                             batch_size=1)
        for _ in range(batch_size)])
    print(f"\n  search alone (bigram-table step function, {batch_size} items), CPU s:")
    print(f"  greedy {greedy_search.cpu:.3f}, beam {BEAM_WIDTH} as one batch "
          f"{batch_search.cpu:.3f}, beam {BEAM_WIDTH} item by item {item_search.cpu:.3f} "
          f"({item_search.cpu / batch_search.cpu:.0f}x the batch)")
    return {
        "greedy": greedy_clock.cpu, "beam": beam_clock.cpu,
        "beam_search_batch": batch_search.cpu, "beam_search_items": item_search.cpu,
    }


if __name__ == "__main__":
    main()
