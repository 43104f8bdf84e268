"""Which grid an array lies on (issue #17 item 1): the current API never guesses the axis order;
medmask 0.1.x's rule stays in its compatible calls, and warns. Expected positions come from
nibabel's affine."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import medmask

from conftest import lps_from_nibabel

nib = pytest.importorskip("nibabel")


@pytest.fixture
def image(tmp_path):
    """A small oblique uint8 NIfTI whose three extents differ, saved and loaded back as a user
    would have it (nibabel indexes its array [i, j, k])."""
    rng = np.random.default_rng(17)
    data = (rng.random((5, 6, 7)) > 0.6).astype(np.uint8)
    t = 0.4
    affine = np.array(
        [
            [0.8 * np.cos(t), -1.1 * np.sin(t), 0.0, -40.0],
            [0.8 * np.sin(t), 1.1 * np.cos(t), 0.0, 12.5],
            [0.0, 0.0, 2.5, 70.0],
            [0.0, 0.0, 0.0, 1.0],
        ]
    )
    path = tmp_path / "mask.nii.gz"
    nib.save(nib.Nifti1Image(data, affine), str(path))
    return nib.load(str(path))


def test_an_array_indexed_ijk_is_refused_with_how_to_fix_it(tmp_path, image):
    space = medmask.Space.from_nifti(image)
    xyz = np.asanyarray(image.dataobj)
    with medmask.MaskArchive(tmp_path / "a.mska", "w", space=space) as archive:
        with pytest.raises(ValueError) as caught:
            archive.add("f", xyz)
        message = str(caught.value)
        assert "'f'" in message and "transpose" in message and "nibabel image" in message
        archive.add("f", xyz.T)  # the (z, y, x) array of the same voxels
    with medmask.open(tmp_path / "a.mska") as archive:
        assert archive.space == space  # the grid is the image's, not a transposed one
        assert archive.space.handedness == space.handedness
        np.testing.assert_array_equal(archive["f"], xyz.T.astype(bool))


def test_a_nibabel_image_is_placed_by_its_own_affine(tmp_path, image):
    with medmask.MaskArchive(
        tmp_path / "a.mska", "w", space=medmask.Space.from_nifti(image)
    ) as archive:
        archive.add("f", image)
    with medmask.open(tmp_path / "a.mska") as archive:
        zyx = archive["f"]
        placed = archive.space
    np.testing.assert_array_equal(zyx, np.asanyarray(image.dataobj).T.astype(bool))
    ijk = np.argwhere(zyx)[:, ::-1].astype(float)  # (z, y, x) indices -> (i, j, k)
    np.testing.assert_allclose(
        placed.ijk_to_lps(ijk), lps_from_nibabel(image.affine, ijk), atol=1e-5
    )


def test_an_image_on_another_grid_names_the_structure(tmp_path, image):
    shifted = nib.Nifti1Image(
        np.asanyarray(image.dataobj),
        image.affine + np.array([[0, 0, 0, 5.0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]),
    )
    with medmask.MaskArchive(
        tmp_path / "a.mska", "w", space=medmask.Space.from_nifti(image)
    ) as archive:
        with pytest.raises(ValueError, match=r"add 'lesion': the image's grid is not the archive"):
            archive.add("lesion", shifted)
        archive.add("f", image)


def test_space_given_a_nibabel_image_points_to_from_nifti(tmp_path, image):
    with pytest.raises(ValueError, match=r"Space\.from_nifti"):
        medmask.MaskArchive(tmp_path / "a.mska", "w", space=image)


def test_the_0_1_x_rule_stays_in_segmentation_mask_and_warns(image):
    space = medmask.Space.from_nifti(image)
    xyz = np.asanyarray(image.dataobj)
    with pytest.warns(medmask.AxisOrderWarning, match="0.1.x"):
        mask = medmask.SegmentationMask(xyz, {"f": 1}, space)
    assert mask.space == space.reverse_axis_order()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert medmask.SegmentationMask(np.ascontiguousarray(xyz.T), {"f": 1}, space).space == space
