"""Gymnasium's spaces, as far as the stand-in needs them (lists where Gymnasium has numpy arrays)."""


class _Array(list):
    """A list with numpy's flatten and tolist, standing in for an ndarray."""

    def flatten(self):
        return _Array(self)

    def tolist(self):
        return list(self)


class Discrete:
    def __init__(self, n, start=0):
        self.n, self.start = n, start

    def contains(self, x):
        return isinstance(x, int) and self.start <= x < self.start + self.n


class Box:
    def __init__(self, low, high, shape=None, dtype="float32"):
        self.low, self.high = _Array(low), _Array(high)
        self.shape, self.dtype = (len(self.low),), dtype


class MultiDiscrete:
    def __init__(self, nvec):
        self.nvec, self.shape, self.dtype = _Array(nvec), (len(nvec),), "int64"


class Tuple:
    def __init__(self, spaces):
        self.spaces = tuple(spaces)
