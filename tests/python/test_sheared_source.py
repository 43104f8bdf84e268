"""A source grid with a real scanner's slight shear (~2e-4, issue #17 item 2): the writer keeps
its directions as given, the specification-only reader accepts the file (FORMAT.md 4.2: within
1e-3), and every voxel stays where nibabel puts it."""

from __future__ import annotations

import json

import numpy as np
import pytest

import medmask

from conftest import corners, lps_from_nibabel
from test_spec_reader import read_mska

nib = pytest.importorskip("nibabel")


def sheared_affine(shear: float) -> np.ndarray:
    """RAS affine of 1.5 mm voxels whose j axis leans by `shear` radians towards i."""
    affine = np.diag([1.5, 1.5, 1.5, 1.0])
    affine[0, 1] = 1.5 * shear
    affine[:3, 3] = (-100.0, 50.0, 20.0)
    return affine


def test_a_2e_4_shear_is_written_as_given_and_read_by_the_spec_reader(tmp_path):
    data = np.zeros((30, 20, 10), np.uint8)
    data[3:9, 4:15, 2:7] = 1
    path = tmp_path / "sheared.nii.gz"
    nib.save(nib.Nifti1Image(data, sheared_affine(2e-4)), str(path))
    image = nib.load(str(path))
    columns = image.affine[:3, :3] / np.linalg.norm(image.affine[:3, :3], axis=0)
    assert abs(columns[:, 0] @ columns[:, 1]) > 1.5e-4  # really sheared beyond the old 1e-4

    out = tmp_path / "sheared.mska"
    with medmask.MaskArchive(out, "w", space=medmask.Space.from_nifti(image)) as archive:
        archive.add("box", image)

    stored = read_mska(out)["index"]["space"]  # FORMAT.md 4.2 checks inside read_mska
    direction = np.array(stored["direction_columns"]).T  # columns -> matrix
    ijk = corners(stored["shape_xyz"])
    lps = np.array(stored["origin_lps"]) + ijk @ (direction * stored["spacing_mm"]).T
    np.testing.assert_allclose(lps, lps_from_nibabel(image.affine, ijk), atol=1e-6)
    assert json.dumps(stored)  # plain JSON numbers


def test_a_shear_beyond_1e_3_is_refused_naming_it(tmp_path):
    path = tmp_path / "sheared.nii.gz"
    nib.save(nib.Nifti1Image(np.zeros((4, 4, 4), np.uint8), sheared_affine(3e-3)), str(path))
    with pytest.raises(ValueError, match="not orthogonal"):
        medmask.Space.from_nifti(nib.load(str(path)))
