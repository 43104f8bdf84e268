"""match_allowed_values of medmask 0.1.x, on the C++ label lookup."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .._core import SegmentationMask as _CoreMask

__all__ = ["match_allowed_values"]

_LABEL_DTYPES = (np.bool_, np.uint8, np.uint16, np.uint32)


def match_allowed_values(image_data: np.ndarray, allowed_set: Iterable[int]) -> np.ndarray:
    """Bool array, True where image_data holds one of allowed_set (any shape and dtype)."""
    image_data = np.asarray(image_data)
    values = sorted({int(v) for v in allowed_set})
    if (
        image_data.ndim == 3
        and image_data.dtype.type in _LABEL_DTYPES
        and all(0 < v < 2**32 for v in values)
    ):
        # A 3-D label array: the C++ path, reading the array in place.
        return _CoreMask(image_data, {}).get_binary_mask_by_labels(values)
    return np.isin(image_data, values)
