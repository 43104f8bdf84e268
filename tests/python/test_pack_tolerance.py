"""`medmask pack --tolerance` (issue #17 item 3): the warning names the farthest file and its
distance, and an error never suggests a tolerance beyond a fraction of a voxel."""

from __future__ import annotations

import re

import nibabel as nib
import numpy as np

from cli_support import assert_error, require_cli, run

require_cli()

SPACING_MM = 1.5


def save(path, shift_mm: float):
    affine = np.diag([SPACING_MM, SPACING_MM, SPACING_MM, 1.0])
    affine[0, 3] = 10.0 + shift_mm
    data = np.zeros((6, 5, 4), np.uint8)
    data[1:3, 1:3, 1:3] = 1
    nib.save(nib.Nifti1Image(data, affine), str(path))


def test_warning_names_the_farthest_file_and_its_distance(tmp_path):
    save(tmp_path / "a_first.nii.gz", 0.0)
    save(tmp_path / "b_rounding.nii.gz", 0.057)  # float32 rounding of an affine
    save(tmp_path / "c_moved.nii.gz", 3.0)  # two voxels: a real misregistration
    save(tmp_path / "d_rounding.nii.gz", 0.05)
    result = run("pack", tmp_path, "-o", tmp_path / "x.mska", "--tolerance", "5")
    assert result.returncode == 0, result.stderr
    warning = next(line for line in result.stderr.splitlines() if "3 input(s)" in line)
    assert "c_moved.nii.gz" in warning and "b_rounding" not in warning, warning
    assert re.search(r"\b3 mm away \(2 voxel", warning), warning
    assert "its voxels move" in warning, warning


def test_rounding_warning_does_not_cry_wolf(tmp_path):
    save(tmp_path / "a_first.nii.gz", 0.0)
    save(tmp_path / "b_rounding.nii.gz", 0.057)
    result = run("pack", tmp_path, "-o", tmp_path / "x.mska")
    assert result.returncode == 0, result.stderr
    assert "b_rounding.nii.gz, puts a corner voxel 0.057 mm away" in result.stderr, result.stderr
    assert "voxels move" not in result.stderr


def test_error_suggests_a_tolerance_only_for_a_fraction_of_a_voxel(tmp_path):
    save(tmp_path / "a_first.nii.gz", 0.0)
    save(tmp_path / "b_moved.nii.gz", 3.0)
    message = assert_error(run("pack", tmp_path, "-o", tmp_path / "x.mska"), "b_moved.nii.gz")
    assert "--tolerance" not in message and "resample" in message, message
    assert "2 voxel(s)" in message, message

    (tmp_path / "b_moved.nii.gz").unlink()
    save(tmp_path / "b_near.nii.gz", 0.3)  # 0.2 voxel: beyond the default, within rounding's reach
    message = assert_error(run("pack", tmp_path, "-o", tmp_path / "x.mska"), "b_near.nii.gz")
    suggested = re.search(r"--tolerance (0\.30*\d*) accepts it", message)
    assert suggested, message
    assert (
        run(
            "pack", tmp_path, "-o", tmp_path / "x.mska", "-q", "--tolerance", suggested.group(1)
        ).returncode
        == 0
    )


def test_shape_mismatch_says_which_file_has_which_shape(tmp_path):
    save(tmp_path / "a_first.nii.gz", 0.0)
    affine = np.diag([SPACING_MM, SPACING_MM, SPACING_MM, 1.0])
    nib.save(nib.Nifti1Image(np.zeros((6, 5, 3), np.uint8), affine), str(tmp_path / "b.nii.gz"))
    message = assert_error(run("pack", tmp_path, "-o", tmp_path / "x.mska"), "b.nii.gz")
    assert re.search(
        r"b\.nii\.gz: shape \(x, y, z\) 6 x 5 x 3 differs from \S*a_first\.nii\.gz's "
        r"6 x 5 x 4",
        message,
    ), message
