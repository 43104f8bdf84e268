"""MedMask: compact, self-describing storage for medical image segmentation masks.

One ``.mska`` file per case holds every structure, its names and colours and the
geometry of the grid (DICOM LPS millimetres). Arrays are numpy ``(z, y, x)`` in C
order everywhere; ``Space`` keeps shape, origin and spacing in ``(x, y, z)`` order.

    >>> import medmask
    >>> with medmask.open("case.mska") as archive:    # doctest: +SKIP
    ...     liver = archive["liver"]                  # bool array (z, y, x)

Everything is implemented in C++ (``medmask._core``); this module only re-exports it.

Code written for medmask 0.1.x keeps working: ``SegmentationMask(mask_array, mapping,
space)``, ``lazy_init``/``add_label``, ``save``/``load``, ``save_mask``/``load_mask`` and
``MaskArchive`` with ``add_segmask``/``load_segmask``/``all_names``/``read_all_masks``.
In those calls only, a Space given in 0.1.x's reversed (z, y, x) order, as
``reverse_axis_order()`` or a ``spacetransformer.Space`` gives it, is recognised from the
array's shape, with an ``AxisOrderWarning`` when the shape decided. Everything else
(``MaskArchive.add`` ...) takes (z, y, x) arrays of the Space only, or a nibabel image.
"""

from __future__ import annotations

import os
from typing import Union

from ._core import (
    AxisOrderWarning,
    FormatError,
    LimitError,
    MaskArchive,
    ReadLimits,
    SegmentationMask,
    Space,
    Structure,
    UnsupportedError,
    __version__,
    export_dicom_seg,
    import_dicom_seg,
    load_mask,
    read_nifti,
    save_mask,
    write_nifti,
)

__all__ = [
    "AxisOrderWarning",
    "FormatError",
    "LimitError",
    "MaskArchive",
    "ReadLimits",
    "SegmentationMask",
    "Space",
    "Structure",
    "UnsupportedError",
    "__version__",
    "export_dicom_seg",
    "import_dicom_seg",
    "load_mask",
    "open",
    "read_nifti",
    "save_mask",
    "write_nifti",
]

PathLike = Union[str, "os.PathLike[str]"]


def open(  # noqa: A001 - mirrors zipfile/tarfile.open
    path: PathLike, limits: ReadLimits | None = None
) -> MaskArchive:
    """Opens an existing archive for reading: ``with medmask.open(path) as a: ...``.

    limits (a ``medmask.ReadLimits``) caps what the file may make the reader allocate;
    lower it for untrusted files. Raises OSError when the file cannot be opened and
    medmask.FormatError, medmask.UnsupportedError or medmask.LimitError when its
    contents are invalid or exceed the limits.
    """
    return MaskArchive(path, "r", limits=limits)
