"""NIfTI geometry and voxels against nibabel: all 48 signed axis permutations, oblique grids,
sform-only and qform-only headers, and the sample case."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import medmask

from conftest import SAMPLE, SAMPLE_NON_EMPTY, corners, lps_from_nibabel, nib_zyx

nib = pytest.importorskip("nibabel")

SHAPE_XYZ = (5, 4, 3)
SPACING = np.array([0.8, 1.3, 2.5])
ORIGIN_RAS = np.array([-12.5, 30.25, 7.0])


def signed_permutations():
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1.0, -1.0), repeat=3):
            rotation = np.zeros((3, 3))
            for column, (row, sign) in enumerate(zip(perm, signs)):
                rotation[row, column] = sign
            yield rotation


def oblique_rotations():
    rng = np.random.default_rng(12345)
    for _ in range(6):
        q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
        yield q  # proper or improper, both occur


def affine_from(rotation: np.ndarray) -> np.ndarray:
    affine = np.eye(4)
    affine[:3, :3] = rotation @ np.diag(SPACING)
    affine[:3, 3] = ORIGIN_RAS
    return affine


def synthetic_volume() -> np.ndarray:
    data = np.zeros(SHAPE_XYZ, np.uint8)  # nibabel's (x, y, z)
    data[1, 2, 0] = 1
    data[4, 0, 2] = 2
    data[0, 3, 1] = 3
    return data


def save(tmp_path, rotation, form: str):
    affine = affine_from(rotation)
    img = nib.Nifti1Image(synthetic_volume(), affine)
    if form == "sform":
        img.set_sform(affine, code=1)
        img.set_qform(None, code=0)
    else:
        img.set_qform(affine, code=1)
        img.set_sform(None, code=0)
    path = tmp_path / f"{form}.nii.gz"
    nib.save(img, str(path))
    return path


ROTATIONS = [("perm", r) for r in signed_permutations()] + [
    ("oblique", r) for r in oblique_rotations()
]


def test_there_are_48_signed_permutations():
    assert len({tuple(r.ravel()) for r in signed_permutations()}) == 48


@pytest.mark.parametrize("form", ["sform", "qform"])
@pytest.mark.parametrize(
    ("kind", "rotation"), ROTATIONS, ids=[f"{k}{i}" for i, (k, _) in enumerate(ROTATIONS)]
)
def test_space_from_nifti_matches_nibabel(tmp_path, kind, rotation, form):
    path = save(tmp_path, rotation, form)
    reference = nib.load(str(path))  # the affine nibabel reads back (float32 storage included)
    space = medmask.Space.from_nifti(path)
    assert space.shape == SHAPE_XYZ
    c = corners(SHAPE_XYZ)
    np.testing.assert_allclose(
        space.ijk_to_lps(c), lps_from_nibabel(reference.affine, c), atol=1e-4
    )

    array, read_space = medmask.read_nifti(str(path))
    assert read_space == space
    np.testing.assert_array_equal(array, nib_zyx(path))


@pytest.mark.parametrize(("kind", "rotation"), ROTATIONS[::7] + ROTATIONS[-2:])
def test_write_nifti_is_read_by_nibabel(tmp_path, kind, rotation):
    space = medmask.Space.from_affine_ras(affine_from(rotation), SHAPE_XYZ)
    array = synthetic_volume().transpose(2, 1, 0).copy()  # (z, y, x)
    path = tmp_path / "written.nii.gz"
    medmask.write_nifti(path, array, space)
    img = nib.load(str(path))
    assert img.shape == SHAPE_XYZ
    np.testing.assert_allclose(img.affine, affine_from(rotation), atol=1e-4)
    np.testing.assert_array_equal(nib_zyx(path), array)


@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.uint16, np.uint32])
def test_nifti_round_trip_every_dtype(tmp_path, dtype):
    rng = np.random.default_rng(7)
    top = {np.bool_: 1, np.uint8: 200, np.uint16: 60000, np.uint32: 2**31}[dtype]
    space = medmask.Space((6, 5, 4), (1.0, 2.0, 3.0), (1.0, 1.5, 2.0))
    array = rng.choice([0, 1, top], size=space.shape_zyx).astype(dtype)
    path = tmp_path / "rt.nii"
    medmask.write_nifti(path, array, space)
    back, back_space = medmask.read_nifti(path)
    np.testing.assert_array_equal(back, array.astype(np.uint64))
    assert back_space.is_close(space, 1e-4)
    np.testing.assert_array_equal(nib_zyx(path), array.astype(np.uint64))


def test_sample_case_matches_nibabel():
    path = SAMPLE / "liver.nii.gz"
    reference = nib.load(str(path))
    space = medmask.Space.from_nifti(path)
    assert space.shape == reference.shape
    c = corners(space.shape)
    np.testing.assert_allclose(
        space.ijk_to_lps(c), lps_from_nibabel(reference.affine, c), atol=1e-4
    )
    assert space.voxel_volume_mm3 == pytest.approx(abs(np.linalg.det(reference.affine[:3, :3])))


@pytest.mark.parametrize("name", SAMPLE_NON_EMPTY)
def test_sample_voxels_match_nibabel(name):
    path = SAMPLE / f"{name}.nii.gz"
    array, _ = medmask.read_nifti(path)
    expected = nib_zyx(path)
    assert expected.any()
    np.testing.assert_array_equal(array, expected)


def test_read_errors(tmp_path):
    with pytest.raises(OSError):
        medmask.read_nifti(tmp_path / "missing.nii")
    garbage = tmp_path / "garbage.nii"
    garbage.write_bytes(b"not a nifti file" * 40)
    with pytest.raises(medmask.FormatError):
        medmask.read_nifti(garbage)
    four_d = tmp_path / "four_d.nii"
    nib.save(nib.Nifti1Image(np.zeros((2, 2, 2, 2), np.uint8), np.eye(4)), str(four_d))
    with pytest.raises(medmask.UnsupportedError):
        medmask.read_nifti(four_d)
