"""Shared paths and helpers for the Python tests (run from any directory)."""

from __future__ import annotations

import dataclasses
import pathlib

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "data" / "s0000"

# Non-empty structures of the sample case (examples/data/s0000, see ../shared/data/README.md).
SAMPLE_NON_EMPTY = ["colon", "femur_left", "hip_right", "rib_right_12", "urinary_bladder"]


@dataclasses.dataclass(frozen=True)
class SpacetransformerSpace:
    """The fields of spacetransformer.Space (spacetransformer-core 0.2.7), all in (x, y, z): the
    kind of space medmask 0.1.x users pass (0.1.x attached them in (z, y, x) order)."""

    shape: tuple
    origin: tuple = (0.0, 0.0, 0.0)
    spacing: tuple = (1.0, 1.0, 1.0)
    x_orientation: tuple = (1.0, 0.0, 0.0)
    y_orientation: tuple = (0.0, 1.0, 0.0)
    z_orientation: tuple = (0.0, 0.0, 1.0)


def nib_zyx(path: pathlib.Path) -> np.ndarray:
    """nibabel's voxels of a NIfTI file in numpy (z, y, x) order."""
    nib = pytest.importorskip("nibabel")
    return np.asarray(nib.load(str(path)).dataobj).transpose(2, 1, 0)


def lps_from_nibabel(affine_ras: np.ndarray, ijk: np.ndarray) -> np.ndarray:
    """diag(-1, -1, 1) @ affine @ [i, j, k, 1]: the LPS position nibabel implies."""
    homogeneous = np.c_[ijk, np.ones(len(ijk))]
    ras = (affine_ras @ homogeneous.T).T[:, :3]
    return ras * np.array([-1.0, -1.0, 1.0])


def corners(shape_xyz) -> np.ndarray:
    nx, ny, nz = shape_xyz
    return np.array(
        [[i, j, k] for i in (0, nx - 1) for j in (0, ny - 1) for k in (0, nz - 1)], dtype=float
    )
