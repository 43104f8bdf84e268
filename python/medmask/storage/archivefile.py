"""MaskArchive of medmask 0.1.x: named entries (label maps) in one file.

medmask.MaskArchive itself, with entries read back as medmask.core.segmask.SegmentationMask and
the Space reported in 0.1.x's (z, y, x) order.
"""

from __future__ import annotations

from .. import _core
from ..core.mapping import LabelMapping
from ..core.segmask import SegmentationMask, zyx_space

__all__ = ["MaskArchive"]


class MaskArchive(_core.MaskArchive):
    """medmask.MaskArchive with medmask 0.1.x's signature and return types."""

    def __init__(self, path, mode: str = "r", *, space=None, codec: str | None = None) -> None:
        super().__init__(path, mode, space)

    def load_segmask(self, name: str) -> SegmentationMask:
        """The entry name as a SegmentationMask; KeyError for an unknown entry."""
        return SegmentationMask._from_core(_core.MaskArchive.load_mask(self, name))

    load_mask = load_segmask

    def read_all_masks(self) -> dict:
        """{entry name: SegmentationMask} for every entry."""
        return {name: self.load_segmask(name) for name in self.all_names()}

    def read_all_mapping(self) -> dict:
        """{entry name: LabelMapping} for every entry, from the index."""
        return {k: LabelMapping(v) for k, v in _core.MaskArchive.read_all_mapping(self).items()}

    @property
    def space(self):
        """The Space in (z, y, x) order, as medmask 0.1.x reported it."""
        return zyx_space(_core.MaskArchive.space.__get__(self))
