"""layer_per_structure=True (`medmask pack --layer-per-structure`, the default at levels fast and
default): every non-empty structure of
the sample case in a label map of its own, read back exactly (overlap included), compared with
nibabel's arrays. (tests/cpp/test_archive_layer_per_structure.cpp checks that reading one
structure reads no byte of the others.)"""

from __future__ import annotations

import numpy as np
import pytest

import medmask

from cli_support import require_cli, run
from conftest import SAMPLE, nib_zyx

require_cli()

NAMES = ["femur_left", "gluteus_medius_right", "sacrum", "rib_right_12", "spleen", "colon"]


@pytest.fixture(scope="module")
def masks():
    return {name: nib_zyx(SAMPLE / f"{name}.nii.gz") != 0 for name in NAMES}


def test_each_structure_has_its_own_label_map(tmp_path, masks):
    path = tmp_path / "case.mska"
    space = medmask.Space.from_nifti(SAMPLE / "colon.nii.gz")
    with medmask.MaskArchive(path, "w", space=space, layer_per_structure=True) as archive:
        for name in NAMES:
            archive.add(name, masks[name])
    with medmask.MaskArchive(path, "r") as archive:
        for name in NAMES:
            np.testing.assert_array_equal(archive[name], masks[name], err_msg=name)
        homes = {name: archive.structure(name).entry for name in NAMES if masks[name].any()}
        assert len(set(homes.values())) == len(homes), homes
        # rib_right_12 and sacrum share voxels: both kept whole, no part split off.
        assert (masks["rib_right_12"] & masks["sacrum"]).any()
        each = archive.read_each(NAMES)
        for name in NAMES:
            np.testing.assert_array_equal(each[name], masks[name], err_msg=name)
    with medmask.MaskArchive(path, "r") as archive:
        entries = {e["name"]: e for e in archive.entries()}
    # Shared layers (the default at level max) put most of these into one label map.
    shared = tmp_path / "shared.mska"
    with medmask.MaskArchive(shared, "w", space=space, layer_per_structure=False) as archive:
        for name in NAMES:
            archive.add(name, masks[name])
    with medmask.MaskArchive(shared, "r") as archive:
        assert len(archive.entries()) < len(entries)


def test_pack_flag(tmp_path, masks):
    folder = tmp_path / "case"
    folder.mkdir()
    for name in ["sacrum", "colon", "rib_right_12"]:
        (folder / f"{name}.nii.gz").write_bytes((SAMPLE / f"{name}.nii.gz").read_bytes())
    path = tmp_path / "case.mska"
    packed = run("pack", folder, "-o", path, "--layer-per-structure", "-q")
    assert packed.returncode == 0, packed.stderr
    with medmask.MaskArchive(path, "r") as archive:
        assert len(archive.entries()) == 3
        for name in ["sacrum", "colon", "rib_right_12"]:
            np.testing.assert_array_equal(archive[name], masks[name], err_msg=name)
