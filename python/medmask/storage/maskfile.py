"""MaskFile, save_mask and load_mask of medmask 0.1.x: one mask per file."""

from __future__ import annotations

import os

from .. import _core
from ..core.segmask import SegmentationMask

__all__ = ["MaskFile", "load_mask", "save_mask"]


class MaskFile:
    """One mask in one file (a one-entry .mska archive; 0.1.x .msk files are read too)."""

    def __init__(self, path, mode: str = "r", *, codec: str | None = None) -> None:
        if mode not in ("r", "w", "a"):
            raise ValueError(f"unsupported mode: {mode}")
        if mode == "r" and not os.path.exists(path):
            raise FileNotFoundError(path)
        self.path = path
        self.mode = mode

    def write(self, segmask) -> None:
        """Writes segmask to the file, replacing it atomically."""
        _core.save_mask(segmask, self.path)

    def read(self) -> SegmentationMask:
        """The mask of the file."""
        return SegmentationMask._from_core(_core.load_mask(self.path))

    def __enter__(self) -> MaskFile:
        """Returns the MaskFile itself (nothing is held open)."""
        return self

    def __exit__(self, *exc) -> None:
        """Nothing to close: write and read open the file themselves."""
        return None


def save_mask(segmask, path, *, codec: str | None = None) -> None:
    """Writes segmask to path (codec is accepted for 0.1.x callers and ignored)."""
    _core.save_mask(segmask, path)


def load_mask(path, *, codec: str | None = None) -> SegmentationMask:
    """Reads the one mask of path."""
    return SegmentationMask._from_core(_core.load_mask(path))
