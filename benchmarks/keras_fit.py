"""Samples per second of Keras `fit` on scikit-learn's digits: flowgraph's Keras in graph mode (one training
graph run by a Session) and in eager mode (the step traced once by `function`), beside TensorFlow's Keras
when it is importable.

Model: Input(64) -> Dense(128, relu) -> Dense(10, softmax); Adam(0.001); sparse categorical cross-entropy
with accuracy; batch 32, shuffled, verbose=0; 1347 training samples. Each run fits one warm-up epoch (which
builds or traces the step), then times `--epochs` epochs; the best of `--repeats` runs is printed.
Run: python benchmarks/keras_fit.py [--epochs N] [--repeats R] [--batch-size B]
"""
import argparse
import time

import numpy as np

from _rows import report


def digits():
    from flowgraph.keras.datasets import digits as digits_dataset
    (x_train, y_train), _ = digits_dataset.load_data()
    return (x_train.reshape(-1, 64) / 16.0).astype(np.float32), y_train.astype(np.int32)


def samples_per_second(keras, x, y, epochs, repeats, batch_size):
    """Best-of-`repeats` training throughput of a freshly built and compiled model."""
    best = 0.0
    for _ in range(repeats):
        model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(128, activation="relu"),
                                  keras.layers.Dense(10, activation="softmax")])
        model.compile(keras.optimizers.Adam(0.001), "sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
        start = time.perf_counter()
        model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
        best = max(best, epochs * len(x) / (time.perf_counter() - start))
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    x, y = digits()
    results = []

    import flowgraph
    with flowgraph.Graph().as_default():
        results.append(("flowgraph keras, graph mode",
                        samples_per_second(flowgraph.keras, x, y, args.epochs, args.repeats, args.batch_size)))
    import flowgraph.v2 as tf2
    results.append(("flowgraph keras, eager mode (traced step)",
                    samples_per_second(tf2.keras, x, y, args.epochs, args.repeats, args.batch_size)))
    try:
        import tensorflow as tf
    except ImportError:
        tf = None
    if tf is not None:
        results.append(("TensorFlow %s keras" % tf.__version__,
                        samples_per_second(tf.keras, x, y, args.epochs, args.repeats, args.batch_size)))
    else:
        print("TensorFlow is not importable: flowgraph only")
    for name, rate in results:
        print("%-45s %9.0f samples/s" % (name, rate))
    if tf is not None:
        print("flowgraph (best mode) / TensorFlow: %.2fx" % (max(r for _, r in results[:2]) / results[-1][1]))
    theirs = results[2][1] if tf is not None else None
    report("keras_fit", "digits fit, graph mode (batch %d)" % args.batch_size, "samples/s", results[0][1], theirs)
    report("keras_fit", "digits fit, eager mode (batch %d)" % args.batch_size, "samples/s", results[1][1], theirs)


if __name__ == "__main__":
    main()
