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
``MaskArchive`` with ``add_segmask``/``load_segmask``/``all_names``/``read_all_masks``, the
first notebook's ``add_mask``/``load_mask``/``get_all_masks``/``get_mask_by_names``, and 0.1.x's
module layout (``medmask.core.segmask``, ``medmask.core.mapping``, ``medmask.storage``,
``medmask.utils``; those modules keep 0.1.x's conventions, see docs/COMPAT.md).
In those calls only, a Space given in 0.1.x's reversed (z, y, x) order, as
``reverse_axis_order()`` or a ``spacetransformer.Space`` gives it, is recognised from the
array's shape, with an ``AxisOrderWarning`` when the shape decided. Everything else
(``MaskArchive.add`` ...) takes (z, y, x) arrays of the Space only, or a nibabel image.
"""

from ._core import (
    AxisOrderWarning,
    FormatError,
    LimitError,
    MaskArchive,
    MedMaskWarning,
    NotFoundError,
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
from .core.mapping import LabelMapping
from .storage.maskfile import MaskFile
from .utils.utils import match_allowed_values

__all__ = [
    "AxisOrderWarning",
    "FormatError",
    "LabelMapping",
    "LimitError",
    "MaskArchive",
    "MaskFile",
    "MedMaskWarning",
    "NotFoundError",
    "ReadLimits",
    "SegmentationMask",
    "Space",
    "Structure",
    "UnsupportedError",
    "__version__",
    "export_dicom_seg",
    "import_dicom_seg",
    "load_mask",
    "match_allowed_values",
    "open",
    "read_nifti",
    "save_mask",
    "write_nifti",
]


def open(  # noqa: A001 - mirrors zipfile/tarfile.open
    path: "str | os.PathLike[str]",  # noqa: F821
    limits: "ReadLimits | None" = None,
) -> MaskArchive:
    """Opens an existing archive for reading: ``with medmask.open(path) as a: ...``.

    limits (a ``medmask.ReadLimits``) caps what the file may make the reader allocate;
    lower it for untrusted files. Raises OSError when the file cannot be opened and
    medmask.FormatError, medmask.UnsupportedError or medmask.LimitError when its
    contents are invalid or exceed the limits.
    """
    return MaskArchive(path, "r", limits=limits)


def __dir__() -> list:
    # The public API and the subpackages of medmask 0.1.x's layout, nothing imported for our own use.
    return sorted([*__all__, "core", "storage", "utils"])
