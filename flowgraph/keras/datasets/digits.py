"""The 8x8 handwritten digits bundled with scikit-learn (1797 images, 10 classes), split as Keras datasets are."""
import numpy as np

TEST_FRACTION = 0.25
SEED = 1337


def load_data(test_fraction=TEST_FRACTION, seed=SEED):
    """`(x_train, y_train), (x_test, y_test)`: uint8 images (n, 8, 8) with values 0..16 and uint8 labels.

    The same split every call: a permutation from `seed`, the first `test_fraction` (rounded up) held out.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError("keras.datasets.digits needs scikit-learn, which ships the digits data: "
                          "pip install scikit-learn") from None
    data = load_digits()
    images = data.images.astype(np.uint8)
    labels = data.target.astype(np.uint8)
    order = np.random.RandomState(seed).permutation(len(labels))
    test_count = int(np.ceil(test_fraction * len(labels)))
    test, train = order[:test_count], order[test_count:]
    return (images[train], labels[train]), (images[test], labels[test])
