"""MaskArchive.to_nifti / export: files other tools read, checked with nibabel and pynrrd."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

import medmask

from conftest import SAMPLE, nib_zyx

nib = pytest.importorskip("nibabel")

# sacrum and rib_right_12 share 13 voxels; spleen is empty.
NAMES = ["colon", "sacrum", "rib_right_12", "spleen"]


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "case.mska"
    masks = {name: nib_zyx(SAMPLE / f"{name}.nii.gz") != 0 for name in NAMES}
    with medmask.MaskArchive(
        path, "w", space=medmask.Space.from_nifti(SAMPLE / "colon.nii.gz")
    ) as a:
        for name, binary in masks.items():
            a.add(name, binary, color=(200, 10, 30))
    return path, masks


def test_to_nifti_writes_one_file_per_structure_on_the_source_grid(case, tmp_path):
    path, masks = case
    source = nib.load(str(SAMPLE / "colon.nii.gz"))
    with medmask.open(path) as archive:
        files = archive.to_nifti(tmp_path / "out")
    written = {pathlib.Path(f).name for f in files}
    assert {f"{n}.nii.gz" for n in NAMES} <= written
    for name, binary in masks.items():
        img = nib.load(str(tmp_path / "out" / f"{name}.nii.gz"))
        np.testing.assert_array_equal(np.asarray(img.dataobj).T != 0, binary, err_msg=name)
        np.testing.assert_allclose(img.affine, source.affine, atol=1e-4)


def test_to_nifti_subset_and_multilabel(case, tmp_path):
    path, masks = case
    with medmask.open(path) as archive:
        files = archive.to_nifti(tmp_path / "some", names=["colon"])
        assert any(f.endswith("colon.nii.gz") for f in files)
        assert not (tmp_path / "some" / "sacrum.nii.gz").exists()
        with pytest.raises(ValueError, match="sacrum|rib_right_12"):  # overlap in one label map
            archive.to_nifti(tmp_path / "all.nii.gz", multilabel=True)
        one = archive.to_nifti(tmp_path / "colon_map.nii.gz", names=["colon"], multilabel=True)
        values = {s.name: s.value for s in archive.structures}
        split = archive.to_nifti(tmp_path / "layers.nii.gz", multilabel=True, split_layers=True)
    img = nib.load(one[0] if one[0].endswith(".nii.gz") else str(tmp_path / "colon_map.nii.gz"))
    labels = np.asarray(img.dataobj).T
    assert set(np.unique(labels)) <= {0, values["colon"]}
    np.testing.assert_array_equal(labels != 0, masks["colon"])
    assert len([f for f in split if f.endswith(".nii.gz")]) >= 2
    with medmask.open(path) as archive, pytest.raises(KeyError):
        archive.to_nifti(tmp_path / "x", names=["nope"])


def test_export_seg_nrrd_keeps_overlap(case, tmp_path):
    nrrd = pytest.importorskip("nrrd")
    path, masks = case
    with medmask.open(path) as archive:
        archive.export(tmp_path / "case.seg.nrrd", "seg.nrrd")
        with pytest.raises(ValueError):
            archive.export(tmp_path / "x", "png")
    data, header = nrrd.read(str(tmp_path / "case.seg.nrrd"))
    names = {header[k]: k.split("_")[0] for k in header if k.endswith("_Name")}
    assert set(NAMES) - {"spleen"} <= set(names)
    assert data.size > 0
