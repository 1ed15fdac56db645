"""Data sets: Fashion-MNIST from Debian's package and a generic .npz format.

Public API::

    load_fashion_mnist(split="train"|"test", size=None, mode="pad"|"resize", channels=1,
                       classes=None, limit=None, root=None) -> (x uint8 NHWC, y int64)
    Dataset(x, y, sessions=None, classes=None); load_dataset(path); save_dataset(path, ds)
    to_float(x) -> float32 x / 255 (the network input convention); pad_to, resize, fit
    read_idx(path) -> ndarray
    parse_classes("0-4,7") -> [0, 1, 2, 3, 4, 7] (None stays None)
"""

from qlr.data.dataset import Dataset, load_dataset, parse_classes, save_dataset
from qlr.data.fashion_mnist import CLASSES as FASHION_MNIST_CLASSES
from qlr.data.fashion_mnist import load_fashion_mnist
from qlr.data.idx import read_idx
from qlr.data.images import fit, pad_to, resize, to_float

__all__ = ["Dataset", "FASHION_MNIST_CLASSES", "fit", "load_dataset", "load_fashion_mnist", "pad_to", "parse_classes",
           "read_idx", "resize", "save_dataset", "to_float"]
