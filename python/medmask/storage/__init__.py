"""medmask.storage: the file classes of medmask 0.1.x over the MedMask archive."""

from .archivefile import MaskArchive
from .maskfile import MaskFile, load_mask, save_mask

__all__ = ["MaskArchive", "MaskFile", "load_mask", "save_mask"]
