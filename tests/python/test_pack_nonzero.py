"""0/255 masks (issue #17 item 6): refused with a hint by default, packed with --nonzero-inside
as "non-zero is inside", in folders and as a single file."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np

from cli_support import assert_error, require_cli, run

require_cli()

AFFINE = np.diag([0.8, 0.8, 2.0, 1.0])


def save(path, data):
    nib.save(nib.Nifti1Image(data.astype(np.uint8), AFFINE), str(path))


def test_a_folder_of_0_255_masks_packs_with_nonzero_inside(tmp_path):
    masks = tmp_path / "masks"
    masks.mkdir()
    liver = np.zeros((6, 5, 4), np.uint8)
    liver[1:4, 1:3, 0:2] = 255
    spleen = np.zeros((6, 5, 4), np.uint8)
    spleen[4:6, 3:5, 2:4] = 1
    save(masks / "liver.nii.gz", liver)
    save(masks / "spleen.nii.gz", spleen)
    out = tmp_path / "case.mska"
    assert_error(run("pack", masks, "-o", out), "liver.nii.gz", "255", "--nonzero-inside")
    assert run("pack", masks, "-o", out, "-q", "--nonzero-inside").returncode == 0
    extracted = tmp_path / "liver_out.nii.gz"
    assert run("extract", out, "liver", "-o", extracted, "-q").returncode == 0
    np.testing.assert_array_equal(np.asanyarray(nib.load(str(extracted)).dataobj), liver > 0)


def test_a_single_0_255_file_stays_one_structure_named_after_it(tmp_path):
    data = np.zeros((6, 5, 4), np.uint8)
    data[2:4, 2:4, 1:3] = 255
    save(tmp_path / "lesion.nii.gz", data)
    out = tmp_path / "case.mska"
    assert (
        run("pack", tmp_path / "lesion.nii.gz", "-o", out, "-q", "--nonzero-inside").returncode == 0
    )
    listed = json.loads(run("info", out, "--json").stdout)
    assert [s["name"] for s in listed["structures"]] == ["lesion"]
    assert listed["structures"][0]["voxels"] == 8
