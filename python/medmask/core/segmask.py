"""medmask.core.segmask: SegmentationMask as medmask 0.1.x defined it.

The same C++ mask as medmask.SegmentationMask; only the conventions of 0.1.x differ:
``space`` is reported in the array's (z, y, x) order (a spacetransformer.Space when that package
is installed, as 0.1.x returned it), ``mapping`` is a LabelMapping, and names of value 0 (0.1.x
allowed ``{"background": 0}``) are kept in the mapping though no voxel data stores them.
"""

from __future__ import annotations

import numpy as np

from .._core import SegmentationMask as _CoreMask
from .mapping import LabelMapping

__all__ = ["SegmentationMask"]


class ShapeMismatchError(ValueError, AssertionError):
    """The array's shape fits neither order of the Space (0.1.x raised AssertionError)."""


def _shape_of(space) -> tuple:
    return tuple(int(n) for n in space.shape)


def zyx_space(space):
    """A medmask.Space (x, y, z) in 0.1.x's (z, y, x) order: a spacetransformer.Space when
    spacetransformer is installed, else the reversed medmask.Space."""
    try:
        from spacetransformer import Space as StSpace
    except ImportError:
        return space.reverse_axis_order()
    xyz = StSpace(
        shape=_shape_of(space),
        origin=tuple(float(v) for v in space.origin),
        spacing=tuple(float(v) for v in space.spacing),
        x_orientation=tuple(float(v) for v in space.x_orientation),
        y_orientation=tuple(float(v) for v in space.y_orientation),
        z_orientation=tuple(float(v) for v in space.z_orientation),
    )
    return xyz.reverse_axis_order()


class SegmentationMask(_CoreMask):
    """A label map (numpy (z, y, x)) with its names and Space, with medmask 0.1.x conventions.

    See medmask.SegmentationMask for the arguments; here ``space`` is read back in the array's
    order and ``mapping`` is a LabelMapping.
    """

    def __init__(self, mask_array, mapping, space=None) -> None:
        names = mapping if isinstance(mapping, LabelMapping) else LabelMapping(dict(mapping))
        try:
            # The placement rule (and its AxisOrderWarning) is the C++ one, ArrayAxisOrder::
            # kMedmask01; only the error's type is 0.1.x's here.
            super().__init__(mask_array, {n: v for n, v in names.items() if v != 0}, space)
        except ValueError as error:
            if space is not None and "array shape" in str(error):
                raise ShapeMismatchError(str(error)) from None
            raise
        self._space_given = space
        self._zero_names = {n: v for n, v in names.items() if v == 0}

    @classmethod
    def _from_core(cls, core: _CoreMask) -> SegmentationMask:
        """Wraps a mask read by the C++ layer; its voxels are shared, not copied."""
        mask = cls.__new__(cls)
        _CoreMask.__init__(mask, core.data, core.mapping, core.space)
        mask._space_given = None
        mask._zero_names = {}
        return mask

    @classmethod
    def lazy_init(cls, bit_depth: int, *, space=None, shape=None) -> SegmentationMask:
        """An all-zero mask of bit_depth (1, 8, 16, 32) shaped like space (or shape), (z, y, x)."""
        if space is None and shape is None:
            raise ValueError("Either space or shape must be provided.")
        dtypes = {1: np.bool_, 8: np.uint8, 16: np.uint16, 32: np.uint32}
        if bit_depth not in dtypes:
            raise ValueError("bit_depth must be one of 1/8/16/32")
        zyx = _shape_of(space) if space is not None else tuple(int(n) for n in shape)
        return cls(np.zeros(zyx, dtype=dtypes[bit_depth]), {}, space)

    @property
    def space(self):
        """The Space in the array's (z, y, x) order, as medmask 0.1.x reported it."""
        if self._space_given is not None:
            return self._space_given
        return zyx_space(_CoreMask.space.__get__(self))

    @property
    def mapping(self) -> LabelMapping:
        """{name: value} as a LabelMapping (names of value 0 included)."""
        names = LabelMapping(self._zero_names)
        for name, value in _CoreMask.mapping.__get__(self).items():
            names[name] = value
        return names

    @property
    def _mask_array(self) -> np.ndarray:
        return self.data

    def to_binary(self) -> np.ndarray:
        """Bool array (z, y, x), True where any label is."""
        return self.data != 0

    def save(self, path, *, codec: str | None = None) -> None:
        """Writes the mask to path (codec is accepted for 0.1.x callers and ignored)."""
        _CoreMask.save(self, path)

    @classmethod
    def load(cls, path) -> SegmentationMask:
        """Reads a mask written by save (or a 0.1.x .msk file)."""
        return cls._from_core(_CoreMask.load(path))

    def __str__(self) -> str:
        return f"SegmentationMask(shape={self.data.shape}, mapping={dict(self.mapping)})"
