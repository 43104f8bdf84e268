"""medmask.core: the module layout of medmask 0.1.x (SegmentationMask, LabelMapping)."""

from .mapping import LabelMapping
from .segmask import SegmentationMask

__all__ = ["LabelMapping", "SegmentationMask"]
