"""Compatibility with medmask 0.1.x beyond the README: axis orders, files, write-through."""

from __future__ import annotations

import os
import pathlib
import subprocess

import numpy as np
import pytest

import medmask

from conftest import ROOT, SAMPLE, SpacetransformerSpace, nib_zyx

nib = pytest.importorskip("nibabel")

PEERS_PYTHON = (
    pathlib.Path(os.environ.get("MEDMASK_PEERS_VENV", ROOT / ".venv-peers")) / "bin" / "python"
)


def test_nibabel_ordered_array_lies_on_the_reversed_space():
    img = nib.load(str(SAMPLE / "liver.nii.gz"))
    xyz = np.asarray(img.dataobj)  # nibabel indexes [i, j, k]; memory is Fortran order
    space = medmask.Space.from_nifti(img)
    assert xyz.shape == space.shape
    mask = medmask.SegmentationMask(xyz, {"liver": 1}, space)
    assert mask.space == space.reverse_axis_order()
    np.testing.assert_array_equal(mask.data, xyz)  # same shape as given, as in 0.1.x
    # Its transpose is the (z, y, x) C-order array of the file's own grid: used without a copy.
    in_place = medmask.SegmentationMask(xyz.T, {"liver": 1}, space)
    assert in_place.space == space
    assert np.shares_memory(in_place.data, xyz)
    # Geometry against nibabel: array element [a, b, c] is nibabel voxel (a, b, c).
    inside = np.argwhere(xyz)[::997]
    ras = nib.affines.apply_affine(img.affine, inside)
    lps_expected = ras * [-1.0, -1.0, 1.0]
    # mask.space indexes the same array in (z, y, x) = (a, b, c), so ijk = (c, b, a).
    np.testing.assert_allclose(mask.space.ijk_to_lps(inside[:, ::-1]), lps_expected, atol=1e-6)


def test_from_nifti_accepts_a_nibabel_image_and_matches_its_affine():
    img = nib.load(str(SAMPLE / "liver.nii.gz"))
    from_image = medmask.Space.from_nifti(img)
    from_path = medmask.Space.from_nifti(SAMPLE / "liver.nii.gz")
    assert from_image.is_close(from_path, 1e-6)
    assert from_image.shape == img.shape
    np.testing.assert_allclose(from_image.to_nifti_affine(), img.affine, atol=1e-6)
    with pytest.raises(ValueError):
        medmask.Space.from_nifti(42)


def test_original_space_arguments_and_reverse_axis_order():
    x, y, z = (0.0, 1.0, 0.0), (1.0, 0.0, 0.0), (0.0, 0.0, -1.0)
    space = medmask.Space((4, 5, 6), (1.0, 2.0, 3.0), (0.5, 0.7, 2.0), x, y, z)
    assert space == medmask.Space(
        (4, 5, 6), (1.0, 2.0, 3.0), (0.5, 0.7, 2.0), direction=np.column_stack([x, y, z])
    )
    assert (space.x_orientation, space.y_orientation, space.z_orientation) == (x, y, z)
    assert medmask.Space(shape=(2, 3, 4)) == medmask.Space((2, 3, 4), (0, 0, 0), (1, 1, 1))
    with pytest.raises(ValueError):
        medmask.Space((2, 2, 2), direction=np.eye(3), x_orientation=x)

    reversed_space = space.reverse_axis_order()
    assert reversed_space.shape == (6, 5, 4)
    assert reversed_space.spacing == (2.0, 0.7, 0.5)
    assert reversed_space.origin == space.origin
    assert (reversed_space.x_orientation, reversed_space.z_orientation) == (z, x)
    ijk = np.array([[1, 2, 3], [3, 4, 5], [0, 0, 0]], dtype=float)
    np.testing.assert_allclose(reversed_space.ijk_to_lps(ijk[:, ::-1]), space.ijk_to_lps(ijk))
    assert reversed_space.reverse_axis_order() == space


def test_a_grid_equal_in_both_orders_keeps_the_documented_one():
    space = medmask.Space((4, 3, 4), (0, 0, 0), (1.0, 1.0, 2.0))
    mask = medmask.SegmentationMask(np.zeros((4, 3, 4), np.uint8), {}, space)
    assert mask.space == space


def test_foreign_space_is_read_in_its_zyx_order():
    foreign = SpacetransformerSpace(
        shape=(6, 5, 4), origin=(1.0, 2.0, 3.0), spacing=(3.0, 2.0, 1.0)
    )
    expected = medmask.Space((6, 5, 4), (1.0, 2.0, 3.0), (3.0, 2.0, 1.0)).reverse_axis_order()
    array = np.zeros((6, 5, 4), np.uint8)
    assert medmask.SegmentationMask(array, {}, foreign).space == expected
    assert medmask.SegmentationMask.lazy_init(8, space=foreign).space == expected
    # Arrays that only fit the foreign Space's own order are still accepted.
    assert medmask.SegmentationMask(np.zeros((4, 5, 6), np.uint8), {}, foreign).space == (
        expected.reverse_axis_order()
    )
    with pytest.raises(ValueError, match="spacetransformer"):
        medmask.SegmentationMask(array, {}, object())


def test_lazy_init_takes_the_order_of_its_first_label():
    space = medmask.Space((6, 5, 4))  # (z, y, x) arrays are (4, 5, 6)
    zyx = medmask.SegmentationMask.lazy_init(8, space)
    zyx.add_label(np.ones((4, 5, 6), bool), 1, "a")
    assert zyx.space == space
    zyx_first = medmask.SegmentationMask.lazy_init(8, space)
    zyx_first.add_label(np.ones((6, 5, 4), bool), 1, "a")  # 0.1.x: space in (z, y, x) order
    assert zyx_first.space == space.reverse_axis_order()
    assert zyx_first.data.shape == (6, 5, 4)
    with pytest.raises(ValueError):  # once labelled, the order is fixed
        zyx_first.add_label(np.ones((4, 5, 6), bool), 2, "b")
    by_shape = medmask.SegmentationMask.lazy_init(16, shape=(4, 5, 6))
    assert by_shape.data.shape == (4, 5, 6) and by_shape.data.dtype == np.uint16
    with pytest.raises(ValueError):
        medmask.SegmentationMask.lazy_init(8)
    with pytest.raises(ValueError):
        medmask.SegmentationMask.lazy_init(12, space)


@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.uint16, np.uint32])
def test_save_and_load_round_trip(tmp_path, dtype):
    space = medmask.Space((5, 4, 3), (1.0, -2.0, 3.5), (0.8, 0.9, 2.0))
    rng = np.random.default_rng(7)
    values = [1] if dtype is np.bool_ else [1, 3, int(np.iinfo(dtype).max)]
    array = rng.choice([0, *values], size=space.shape_zyx).astype(dtype)
    mapping = {f"v{v}": v for v in values}
    mask = medmask.SegmentationMask(array, mapping, space)
    mask.save(tmp_path / "a.msk")
    medmask.save_mask(mask, str(tmp_path / "b.msk"), level="max")
    for loaded in (
        medmask.SegmentationMask.load(tmp_path / "a.msk"),
        medmask.load_mask(tmp_path / "b.msk"),
    ):
        assert loaded.data.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(loaded.data, array)
        assert loaded.mapping == mapping
        assert loaded.space == space
    with medmask.open(tmp_path / "a.msk") as archive:  # a one-entry archive
        assert archive.entry_names() == ["mask"]


def test_load_refuses_an_archive_of_several_masks(tmp_path):
    space = medmask.Space((2, 2, 2))
    with medmask.MaskArchive(tmp_path / "two.mska", "w", space=space) as archive:
        archive.add_mask(medmask.SegmentationMask(np.zeros((2, 2, 2), np.uint8), {}, space), "a")
        archive.add_mask(medmask.SegmentationMask(np.zeros((2, 2, 2), np.uint8), {}, space), "b")
    with pytest.raises(ValueError, match="2 entries"):
        medmask.load_mask(tmp_path / "two.mska")
    with pytest.raises(OSError):
        medmask.load_mask(tmp_path / "missing.msk")


def test_add_mask_writes_through_outside_a_with_block(tmp_path):
    space = medmask.Space((3, 3, 3))
    path = tmp_path / "through.mska"
    archive = medmask.MaskArchive(path, mode="w", space=space)
    archive.add_segmask(
        medmask.SegmentationMask(np.eye(3, dtype=np.uint8)[None].repeat(3, 0), {"diag": 1}, space),
        "first",
    )
    # Readable at once by another handle, as medmask 0.1.x files were.
    assert medmask.MaskArchive(path, mode="r").all_names() == ["first"]
    with medmask.MaskArchive(tmp_path / "batched.mska", "w", space=space) as batched:
        batched.add_mask(medmask.SegmentationMask(np.zeros((3, 3, 3), bool), {}, space), "e")
        assert not (tmp_path / "batched.mska").exists()
    assert (tmp_path / "batched.mska").exists()
    archive.close()


def test_read_all_masks_and_mappings(tmp_path):
    space = medmask.Space((4, 3, 2))
    a = np.zeros(space.shape_zyx, np.uint8)
    a[0, 0, :2] = [1, 2]
    b = np.zeros(space.shape_zyx, bool)
    b[1, 2, 3] = True
    with medmask.MaskArchive(tmp_path / "m.mska", "w", space=space) as archive:
        archive.add_mask(medmask.SegmentationMask(a, {"x": 1, "y": 2}, space), "ab")
        archive.add_mask(medmask.SegmentationMask(b, {"z": 1}, space), "c")
    with medmask.MaskArchive(tmp_path / "m.mska") as archive:
        assert archive.read_all_mapping() == {"ab": {"x": 1, "y": 2}, "c": {"z": 1}}
        masks = archive.read_all_masks()
        assert list(masks) == ["ab", "c"]
        np.testing.assert_array_equal(masks["ab"].data, a)
        np.testing.assert_array_equal(masks["c"].data, b)
        with pytest.raises(KeyError):
            archive.load_segmask("nope")
        # medmask 0.1.x raised ValueError for an unknown entry: both catch it, nothing is lost.
        with pytest.raises(ValueError, match="unknown entry 'nope'") as raised:
            medmask.storage.MaskArchive(tmp_path / "m.mska").load_segmask("nope")
        assert isinstance(raised.value, medmask.NotFoundError)
        assert raised.value.code == 5 and raised.value.path == str(tmp_path / "m.mska")


def test_archive_given_a_zyx_ordered_space_takes_its_masks_order(tmp_path):
    zyx_space = medmask.Space.from_nifti(SAMPLE / "liver.nii.gz").reverse_axis_order()
    liver = nib_zyx(SAMPLE / "liver.nii.gz")  # (z, y, x) arrays, as 0.1.x users had them
    mask = medmask.SegmentationMask(liver, {"liver": 1}, zyx_space)
    assert mask.space == zyx_space.reverse_axis_order()
    with medmask.MaskArchive(tmp_path / "c.mska", "w", space=zyx_space) as archive:
        archive.add_mask(mask, "liver")
        assert archive.space == mask.space
    with medmask.MaskArchive(
        tmp_path / "f.mska", "w", space=SpacetransformerSpace(shape=liver.shape)
    ) as a:
        assert a.space.shape_zyx == liver.shape


@pytest.mark.skipif(not PEERS_PYTHON.exists(), reason="bench/setup_bench_venv.sh not run")
def test_reads_a_mask_file_written_by_medmask_0_1_3(tmp_path):
    script = """
import sys, numpy as np
from medmask import SegmentationMask, save_mask
from spacetransformer import Space
arr = np.zeros((4, 5, 6), np.uint8); arr[1, 2, 3] = 1; arr[3, 4, 5] = 2
space = Space(shape=(4, 5, 6), origin=(1.0, 2.0, 3.0), spacing=(3.0, 2.0, 1.0))
save_mask(SegmentationMask(arr, {"a": 1, "b": 2}, space), sys.argv[1])
"""
    path = tmp_path / "old.msk"
    subprocess.run([str(PEERS_PYTHON), "-c", script, str(path)], check=True)
    mask = medmask.load_mask(path)
    expected = np.zeros((4, 5, 6), np.uint8)
    expected[1, 2, 3] = 1
    expected[3, 4, 5] = 2
    np.testing.assert_array_equal(mask.data, expected)
    assert mask.mapping == {"a": 1, "b": 2}
    assert mask.space.shape_zyx == (4, 5, 6)
    assert mask.space.spacing == (1.0, 2.0, 3.0)


@pytest.mark.parametrize("file_name", ["organs_combined.mska", "ribs.mska"])
def test_archive_of_medmask_0_1_opens_read_only(file_name):
    """medmask 0.1.x archives open with MaskArchive(path, "r") as they did; arrays, mappings and
    names match tests/data/compat/expected.json (written by the original library)."""
    import hashlib
    import json

    compat = ROOT / "tests" / "data" / "compat"
    want = json.loads((compat / "expected.json").read_text())["files"][file_name]
    archive = medmask.MaskArchive(str(compat / file_name), "r")
    assert sorted(archive.all_names()) == sorted(want)
    mappings = archive.read_all_mapping()
    for entry, mask in archive.read_all_masks().items():
        assert mappings[entry] == want[entry]["mapping"]
        data = np.ascontiguousarray(mask.data)
        assert str(data.dtype) == want[entry]["dtype"]
        assert hashlib.sha256(data.tobytes()).hexdigest() == want[entry]["sha256"]
    with pytest.raises(Exception, match="medmask convert"):
        medmask.MaskArchive(str(compat / file_name), "a")
