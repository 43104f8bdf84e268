"""The archive API beyond medmask 0.1.x: structures, groups, partial reads, threads, the GIL."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import medmask

from conftest import SAMPLE, nib_zyx

# rib_right_12 shares 13 voxels with sacrum; spleen is empty in this case.
NAMES = ["colon", "hip_left", "hip_right", "sacrum", "rib_right_12", "spleen", "urinary_bladder"]


@pytest.fixture(scope="module")
def masks() -> dict[str, np.ndarray]:
    return {name: nib_zyx(SAMPLE / f"{name}.nii.gz") != 0 for name in NAMES}


@pytest.fixture(scope="module")
def packed(tmp_path_factory, masks):
    path = tmp_path_factory.mktemp("api") / "case.mska"
    space = medmask.Space.from_nifti(SAMPLE / "colon.nii.gz")
    with medmask.MaskArchive(path, "w", space=space) as archive:
        for name, binary in masks.items():
            archive.add(name, binary, color=(len(name), 2, 3))
        archive.add_group("hips", ["hip_left", "hip_right"], description="both hips")
        archive.add_group("pelvis", ["hips", "sacrum"])
    return path


def test_structures_describe_every_structure_and_group(packed, masks):
    with medmask.open(packed) as archive:
        info = {s.name: s for s in archive.structures}
        assert list(info) == [*NAMES, "hips", "pelvis"]  # structures first, then groups
        space = archive.space
    for name, binary in masks.items():
        s = info[name]
        assert isinstance(s, medmask.Structure) and not s.is_group
        assert s.voxels == int(binary.sum())
        assert s.volume_mm3 == pytest.approx(s.voxels * space.voxel_volume_mm3)
        assert s.color == (len(name), 2, 3)
        if s.voxels:
            where = np.argwhere(binary)
            assert s.bbox == (tuple(where.min(0)), tuple(where.max(0)))
        else:
            assert s.bbox is None
    hips = info["hips"]
    assert hips.is_group and hips.members == ["hip_left", "hip_right"] and hips.value == 0
    assert hips.description == "both hips"
    assert hips.voxels == int((masks["hip_left"] | masks["hip_right"]).sum())


def test_groups_read_as_the_union_of_their_members(packed, masks):
    pelvis = masks["hip_left"] | masks["hip_right"] | masks["sacrum"]
    with medmask.open(packed) as archive:
        np.testing.assert_array_equal(archive["pelvis"], pelvis)
        assert sorted(archive.expand("pelvis")) == ["hip_left", "hip_right", "sacrum"]
        assert archive.expand("colon") == ["colon"]
        np.testing.assert_array_equal(archive.get(["pelvis", "colon"]), pelvis | masks["colon"])


def test_read_each_returns_one_exact_array_per_name(packed, masks):
    with medmask.open(packed) as archive:
        each = archive.read_each()
        assert list(each) == archive.names()
        for name, binary in masks.items():
            assert each[name].dtype == np.bool_
            np.testing.assert_array_equal(each[name], binary, err_msg=name)
        some = archive.read_each(["sacrum", "hips"])
        assert list(some) == ["sacrum", "hips"]
        np.testing.assert_array_equal(some["hips"], masks["hip_left"] | masks["hip_right"])


def test_z_range_reads_only_those_slices(packed, masks):
    with medmask.open(packed) as archive:
        for begin, end in [(0, 1), (100, 179), (150, 160)]:
            part = archive.get(["colon", "sacrum"], z_range=(begin, end))
            np.testing.assert_array_equal(part, (masks["colon"] | masks["sacrum"])[begin:end])
        with pytest.raises(ValueError):
            archive.get("colon", z_range=(10, 5))
        with pytest.raises(ValueError):
            archive.get("colon", z_range=(0,))


def test_box_reads_only_that_box(packed, masks):
    both = masks["colon"] | masks["sacrum"]
    with medmask.open(packed) as archive:
        for box in [
            ((100, 179), (0, 192), (0, 294)),
            ((150, 160), (40, 130), (100, 200)),
            (None, (60, 61), None),
            ((120, 120), None, None),
            ((0, 1), (0, 1), (0, 1)),
        ]:
            part = archive.get(["colon", "sacrum"], box=box)
            z, y, x = (slice(*axis) if axis else slice(None) for axis in box)
            np.testing.assert_array_equal(part, both[z, y, x], err_msg=str(box))
        np.testing.assert_array_equal(
            archive.get("pelvis", box=(None, (0, 90), (150, 294))),
            (masks["hip_left"] | masks["hip_right"] | masks["sacrum"])[:, :90, 150:],
        )
        with pytest.raises(ValueError, match="y range"):
            archive.get("colon", box=(None, (90, 10), None))
        with pytest.raises(ValueError, match="x range"):
            archive.get("colon", box=(None, None, (0, 295)))
        with pytest.raises(ValueError, match="box"):
            archive.get("colon", box=((0, 1), (0, 1)))
        with pytest.raises(ValueError, match="not both"):
            archive.get("colon", z_range=(0, 1), box=((0, 1), None, None))


def test_labels_at_and_overlapping_agree_with_numpy(packed, masks):
    shared = np.argwhere(masks["rib_right_12"] & masks["sacrum"])
    assert len(shared) == 13
    with medmask.open(packed) as archive:
        z, y, x = (int(v) for v in shared[0])
        assert sorted(archive.labels_at(z, y, x)) == ["pelvis", "rib_right_12", "sacrum"]
        z, y, x = (int(v) for v in np.argwhere(masks["colon"] & ~masks["sacrum"])[0])
        assert archive.labels_at(z, y, x) == ["colon"]
        assert archive.labels_at(0, 0, 0) == []
        with pytest.raises(ValueError):
            archive.labels_at(179, 0, 0)
        assert archive.overlapping("rib_right_12") == {"sacrum": 13}
        assert archive.overlapping("spleen") == {}


def test_a_union_added_as_a_structure_is_stored_as_a_group(tmp_path, masks):
    space = medmask.Space.from_nifti(SAMPLE / "colon.nii.gz")
    with medmask.MaskArchive(tmp_path / "u.mska", "w", space=space) as archive:
        archive.add("hip_left", masks["hip_left"])
        archive.add("hip_right", masks["hip_right"])
        archive.add("hips", masks["hip_left"] | masks["hip_right"])
    with medmask.open(tmp_path / "u.mska") as archive:
        assert archive.structure("hips").is_group
        np.testing.assert_array_equal(archive["hips"], masks["hip_left"] | masks["hip_right"])


def test_reads_from_many_threads_agree_with_sequential_reads(packed):
    with medmask.open(packed) as archive:
        names = archive.names()
        expected = {name: archive[name] for name in names}
        with ThreadPoolExecutor(max_workers=8) as pool:
            jobs = [(name, pool.submit(archive.__getitem__, name)) for name in names * 3]
            jobs += [("*", pool.submit(archive.read_each)) for _ in range(3)]
            for name, job in jobs:
                got = job.result()
                if name == "*":
                    assert all(np.array_equal(got[n], expected[n]) for n in names)
                else:
                    assert np.array_equal(got, expected[name]), name


def test_the_gil_is_released_while_encoding(tmp_path):
    # A label map with random noise encodes slowly; if save() kept the GIL, this thread could
    # not run while it works.
    space = medmask.Space((96, 96, 64))
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 40, size=space.shape_zyx, dtype=np.uint8)
    mask = medmask.SegmentationMask(labels, {f"l{v}": v for v in range(1, 40)}, space)
    started, done = threading.Event(), threading.Event()
    seconds: list[float] = []

    def work() -> None:
        started.set()
        t0 = time.perf_counter()
        mask.save(tmp_path / "noise.mska", level="max")
        seconds.append(time.perf_counter() - t0)
        done.set()

    worker = threading.Thread(target=work)
    worker.start()
    started.wait()
    ticks = 0
    while not done.is_set():
        ticks += 1
    worker.join()
    assert seconds[0] > 0.05, "the encode was too quick to tell"
    assert ticks > 10_000, f"only {ticks} loop turns ran during a {seconds[0]:.2f} s encode"


def test_medmask_open_is_a_context_manager(packed):
    with medmask.open(packed) as archive:
        assert not archive.closed and archive.mode == "r"
    assert archive.closed
    with pytest.raises(ValueError, match="closed"):
        archive["colon"]


def test_results_are_the_callers_own_arrays_handed_over_without_copy(packed, masks):
    with medmask.open(packed) as archive:
        first, second = archive["colon"], archive.get(["colon"])
        each = archive.read_each(["colon"])["colon"]
        for array in (first, second, each):
            # A view of the C++ result (no numpy-owned copy), writable: nothing else holds it.
            assert array.flags.writeable and not array.flags.owndata and array.flags.c_contiguous
        assert not np.shares_memory(first, second) and not np.shares_memory(first, each)
        first[:] = False  # editing a result changes nothing stored
        np.testing.assert_array_equal(archive["colon"], masks["colon"])
        entry = archive.load_mask(archive.entry_names()[0])
        assert not entry.data.flags.writeable  # a mask's .data stays read-only, as in 0.1.x
        assert entry.get_binary_mask_by_names(
            entry.mapping and next(iter(entry.mapping))
        ).flags.writeable
