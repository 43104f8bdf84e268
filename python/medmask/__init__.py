"""MedMask: compact, self-describing storage for medical image segmentation masks.

One ``.mska`` file per case holds every structure, its names and colours and the
geometry of the grid (DICOM LPS millimetres). Arrays are numpy ``(z, y, x)`` in C
order everywhere; ``Space`` keeps shape, origin and spacing in ``(x, y, z)`` order.

    >>> import medmask
    >>> with medmask.open("case.mska") as archive:    # doctest: +SKIP
    ...     liver = archive["liver"]                  # bool array (z, y, x)

Everything is implemented in C++ (``medmask._core``); this module only re-exports it
and adds Python conveniences.
"""

from __future__ import annotations

import os
from typing import Union

from ._core import (
    FormatError,
    LimitError,
    MaskArchive,
    SegmentationMask,
    Space,
    UnsupportedError,
    __version__,
    read_nifti,
    write_nifti,
)

__all__ = [
    "FormatError",
    "LimitError",
    "MaskArchive",
    "SegmentationMask",
    "Space",
    "UnsupportedError",
    "__version__",
    "open",
    "read_nifti",
    "write_nifti",
]

PathLike = Union[str, "os.PathLike[str]"]


def open(path: PathLike) -> MaskArchive:  # noqa: A001 - mirrors zipfile/tarfile.open
    """Opens an existing archive for reading: ``with medmask.open(path) as a: ...``.

    Raises OSError when the file cannot be opened and medmask.FormatError,
    medmask.UnsupportedError or medmask.LimitError when its contents are invalid.
    """
    return MaskArchive(path, "r")
