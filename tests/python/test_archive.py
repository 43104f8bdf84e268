"""medmask.MaskArchive: pack sample structures, read them back equal to nibabel's arrays."""

from __future__ import annotations

import numpy as np
import pytest

import medmask

from conftest import SAMPLE, nib_zyx

# Includes an exact overlap (rib_right_12 lies inside sacrum: 13 voxels) and an empty mask.
NAMES = ["colon", "hip_left", "urinary_bladder", "sacrum", "rib_right_12", "liver"]


@pytest.fixture(scope="module")
def sample_space() -> medmask.Space:
    return medmask.Space.from_nifti(SAMPLE / "liver.nii.gz")


@pytest.fixture(scope="module")
def sample_masks() -> dict[str, np.ndarray]:
    return {name: nib_zyx(SAMPLE / f"{name}.nii.gz") for name in NAMES}


@pytest.fixture(scope="module")
def packed(tmp_path_factory, sample_space, sample_masks):
    path = tmp_path_factory.mktemp("archive") / "s0000.mska"
    with medmask.MaskArchive(path, "w", space=sample_space) as archive:
        for name, binary in sample_masks.items():
            archive.add(name, binary)
        assert not path.exists()  # nothing is written before the commit
    assert path.exists()
    return path


def test_structures_read_back_equal_to_nibabel(packed, sample_masks):
    with medmask.open(packed) as archive:
        assert sorted(archive.names()) == sorted(NAMES)
        assert len(archive) == len(NAMES)
        for name, expected in sample_masks.items():
            got = archive[name]
            assert got.dtype == np.bool_ and got.shape == expected.shape
            np.testing.assert_array_equal(got, expected != 0, err_msg=name)
        union = archive.get(["sacrum", "rib_right_12", "colon"])
        expected_union = (
            sample_masks["sacrum"] | sample_masks["rib_right_12"] | sample_masks["colon"]
        ) != 0
        np.testing.assert_array_equal(union, expected_union)
        np.testing.assert_array_equal(archive.get("colon"), sample_masks["colon"] != 0)
        assert "sacrum" in archive and "spleen" not in archive and 3 not in archive


def test_overlap_is_kept(packed, sample_masks):
    assert (sample_masks["rib_right_12"] & sample_masks["sacrum"]).sum() == 13  # the data's fact
    with medmask.open(packed) as archive:
        assert (archive["rib_right_12"] & archive["sacrum"]).sum() == 13


def test_structure_index_matches_numpy(packed, sample_masks, sample_space):
    with medmask.open(packed) as archive:
        assert archive.space == sample_space
        assert archive.mode == "r"
        info = {s.name: s for s in archive.structures}
    for name, mask in sample_masks.items():
        s = info[name]
        voxels = int(np.count_nonzero(mask))
        assert s.voxels == voxels
        assert s.volume_mm3 == pytest.approx(voxels * sample_space.voxel_volume_mm3)
        assert s.value >= 1 and isinstance(s.entry, str)
        if voxels:
            where = np.argwhere(mask)
            assert s.bbox == (tuple(where.min(0)), tuple(where.max(0)))
        else:
            assert s.bbox is None


@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.uint16, np.uint32])
def test_add_mask_load_mask_every_dtype(tmp_path, dtype):
    space = medmask.Space((7, 6, 5), (1.0, 2.0, 3.0), (0.5, 0.5, 1.0))
    rng = np.random.default_rng(3)
    values = [1] if dtype is np.bool_ else [1, 2, int(np.iinfo(dtype).max)]
    array = rng.choice([0, *values], size=space.shape_zyx).astype(dtype)
    mapping = {f"label{v}": v for v in values}
    path = tmp_path / "entries.mska"
    with medmask.MaskArchive(path, "w", space=space) as archive:
        archive.add_mask(medmask.SegmentationMask(array, mapping, space), "entry")
    with medmask.open(path) as archive:
        assert archive.entry_names() == ["entry"]
        mask = archive.load_mask("entry")
        assert mask.data.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(mask.data, array)
        assert mask.mapping == mapping
        assert mask.space == space
        for name, value in mapping.items():
            np.testing.assert_array_equal(archive[name], array == value)


def test_append_mode_colors_and_snapshot(tmp_path):
    space = medmask.Space((4, 4, 4), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
    path = tmp_path / "append.mska"
    a = np.zeros(space.shape_zyx, np.uint8)
    a[0, 0, 0] = 1
    with medmask.MaskArchive(path, "w", space=space) as archive:
        archive.add("a", a, color=(255, 0, 10), description="first")
        a[1, 1, 1] = 1  # changed after add(): the archive keeps what it was given
    with medmask.MaskArchive(path, "a") as archive:
        b = np.zeros(space.shape_zyx, bool)
        b[0, 0, 0] = b[3, 3, 3] = True  # overlaps "a"
        archive.add("b", b)
    with medmask.open(path) as archive:
        assert sorted(archive.names()) == ["a", "b"]
        assert int(archive["a"].sum()) == 1 and archive["a"][0, 0, 0]
        np.testing.assert_array_equal(archive["b"], b)
        info = {s.name: s for s in archive.structures}
        assert info["a"].color == (255, 0, 10)
        assert info["a"].description == "first"
        assert info["b"].color is None


def test_errors_map_to_python_exceptions(tmp_path, packed):
    with pytest.raises(OSError):
        medmask.open(tmp_path / "missing.mska")
    garbage = tmp_path / "garbage.mska"
    garbage.write_bytes(b"\x00" * 4096)
    with pytest.raises(medmask.FormatError):
        medmask.open(garbage)
    truncated = tmp_path / "truncated.mska"
    truncated.write_bytes(packed.read_bytes()[:100])
    with pytest.raises((medmask.FormatError, medmask.LimitError)):
        medmask.open(truncated)
    with pytest.raises(ValueError):
        medmask.MaskArchive(tmp_path / "x.mska", "q")
    with medmask.open(packed) as archive:
        with pytest.raises(KeyError):
            archive["spleen"]
        with pytest.raises(KeyError):
            archive.load_mask("no such entry")
        with pytest.raises(ValueError):  # read-only archive
            archive.add("new", np.zeros(archive.space.shape_zyx, bool))
    with pytest.raises(ValueError):  # closed
        archive.names()

    space = medmask.Space((3, 3, 3), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
    other = medmask.Space((3, 3, 3), (5.0, 0.0, 0.0), (1.0, 1.0, 1.0))
    with medmask.MaskArchive(tmp_path / "w.mska", "w", space=space) as archive:
        archive.add("x", np.ones(space.shape_zyx, bool))
        with pytest.raises(ValueError):  # duplicate structure name
            archive.add("x", np.ones(space.shape_zyx, bool))
        with pytest.raises(ValueError):  # wrong shape
            archive.add("y", np.ones((3, 3, 4), bool))
        with pytest.raises(ValueError):  # space differs
            archive.add_mask(
                medmask.SegmentationMask(np.zeros((3, 3, 3), np.uint8), {}, other), "e"
            )


def test_close_commits_and_is_idempotent(tmp_path):
    space = medmask.Space((2, 2, 2), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
    path = tmp_path / "closed.mska"
    archive = medmask.MaskArchive(path, "w", space=space)
    archive.add("x", np.ones(space.shape_zyx, bool))
    archive.close()
    archive.close()
    assert archive.closed
    with medmask.open(path) as reopened:
        assert reopened.names() == ["x"]


def test_iteration_and_exceptions_propagate_out_of_with(tmp_path):
    space = medmask.Space((2, 2, 2), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
    path = tmp_path / "iter.mska"
    with medmask.MaskArchive(path, "w", space=space) as archive:
        archive.add("x", np.ones(space.shape_zyx, bool))
        archive.add("y", np.zeros(space.shape_zyx, bool))
    with pytest.raises(RuntimeError, match="boom"):
        with medmask.open(path) as archive:
            assert sorted(archive) == ["x", "y"]
            raise RuntimeError("boom")
    assert archive.closed


def test_add_mask_keeps_what_it_was_given(tmp_path):
    space = medmask.Space((3, 3, 3), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
    array = np.zeros(space.shape_zyx, np.uint8)
    array[0, 0, 0] = 1
    mask = medmask.SegmentationMask(array, {"a": 1}, space)
    path = tmp_path / "snapshot.mska"
    with medmask.MaskArchive(path, "w", space=space) as archive:
        archive.add_mask(mask, "entry")
        array[2, 2, 2] = 1  # after add_mask, before the commit
    with medmask.open(path) as archive:
        assert int(archive["a"].sum()) == 1


def test_exception_in_with_block_keeps_the_file(tmp_path):
    space = medmask.Space((4, 4, 4), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
    path = tmp_path / "kept.mska"
    a = np.zeros(space.shape_zyx, np.uint8)
    a[0, 0, 0] = 1
    with medmask.MaskArchive(path, "w", space=space) as archive:
        archive.add("a", a)
    before = path.read_bytes()
    with pytest.raises(RuntimeError, match="stop"):
        with medmask.MaskArchive(path, "a") as archive:
            archive.add("b", a)
            raise RuntimeError("stop")
    assert path.read_bytes() == before
    with medmask.open(path) as archive:
        assert archive.names() == ["a"]


@pytest.mark.parametrize("level", ["fast", "default", "max"])
def test_write_level_round_trips(tmp_path, sample_space, sample_masks, level):
    path = tmp_path / f"{level}.mska"
    with medmask.MaskArchive(path, "w", space=sample_space, level=level) as archive:
        for name, binary in sample_masks.items():
            archive.add(name, binary)
    with medmask.open(path) as archive:
        for name, expected in sample_masks.items():
            np.testing.assert_array_equal(archive[name], expected != 0, err_msg=name)
        # entries() spells coding and level as the index does (strings, as before the C++ enums).
        assert all(
            e["coding"] == "medmask-cm1-tiles" and e["level"] == level for e in archive.entries()
        )


def test_write_level_must_be_known(tmp_path, sample_space):
    with pytest.raises(ValueError, match="level"):
        medmask.MaskArchive(tmp_path / "x.mska", "w", space=sample_space, level="ultra")
