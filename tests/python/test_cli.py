"""Tests of the `medmask` command-line tool, run as a subprocess.

Expected values come from nibabel and numpy reading the source NIfTI files, never from medmask.
The binary is $MEDMASK_CLI, else build/cli/medmask under the repository root.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

import medmask

from cli_support import REPO, SAMPLE, assert_error, require_cli, run

require_cli()

LPS_FROM_RAS = np.diag([-1.0, -1.0, 1.0])

# 25 of the sample's files carry a slightly sheared sform that nibabel places up to 0.057 mm from
# the other files' grid at a corner voxel: within the default tolerance (a tenth of the 1.5 mm
# voxel), beyond this stricter one, which the tests use to check that drift is detected.
STRICT_TOLERANCE_MM = "0.0001"


def stem(path: Path) -> str:
    return path.name.removesuffix(".gz").removesuffix(".nii")


def voxels_zyx(path: Path) -> np.ndarray:
    """The mask as numpy (z, y, x), the CLI's array order (nibabel gives (x, y, z))."""
    return np.asanyarray(nib.load(str(path)).dataobj).transpose(2, 1, 0)


def save_mask(path: Path, data_xyz: np.ndarray, affine: np.ndarray) -> Path:
    nib.save(nib.Nifti1Image(data_xyz.astype(np.uint8), affine), str(path))
    return path


SMALL_AFFINE = np.array(
    [[-0.8, 0.0, 0.0, 10.0], [0.0, 0.9, 0.0, -20.0], [0.0, 0.0, 2.5, 30.0], [0, 0, 0, 1.0]]
)


# --- the 117-mask case, packed once ------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_files() -> list[Path]:
    files = sorted(SAMPLE.glob("*.nii.gz"))
    assert len(files) == 117
    return files


@pytest.fixture(scope="module")
def reference(sample_files: list[Path]) -> dict[str, dict]:
    """Per structure, from nibabel: voxel count and (z, y, x) bounding box."""
    out = {}
    for path in sample_files:
        data = voxels_zyx(path)
        nz = np.nonzero(data)
        bbox = None if nz[0].size == 0 else ([int(a.min()) for a in nz], [int(a.max()) for a in nz])
        out[stem(path)] = {"voxels": int(np.count_nonzero(data)), "bbox": bbox}
    return out


def corner_distance_mm(affine_a: np.ndarray, affine_b: np.ndarray, shape: tuple) -> float:
    """Largest distance between where two affines put the same corner voxel."""
    ends = [(0, n - 1) for n in shape[:3]]
    corners = np.array([[i, j, k, 1.0] for i in ends[0] for j in ends[1] for k in ends[2]]).T
    return float(np.linalg.norm((affine_a @ corners - affine_b @ corners)[:3], axis=0).max())


@pytest.fixture(scope="module")
def off_grid(sample_files: list[Path]) -> list[str]:
    """Names of the files whose nibabel affine is more than 1e-4 mm off the first file's."""
    first = nib.load(str(sample_files[0]))
    out = []
    for path in sample_files:
        img = nib.load(str(path))
        if corner_distance_mm(img.affine, first.affine, img.shape) > 1e-4:
            out.append(stem(path))
    return out


@pytest.fixture(scope="module")
def packed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    archive = tmp_path_factory.mktemp("pack") / "s0000.mska"
    result = run("pack", SAMPLE, "-o", archive)
    assert result.returncode == 0, result.stderr
    return archive, result


@pytest.fixture(scope="module")
def info(packed) -> dict:
    result = run("info", packed[0], "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_pack_report(packed, sample_files, off_grid):
    archive, result = packed
    if off_grid:
        warnings = result.stderr.strip().splitlines()
        assert len(warnings) == 1 and warnings[0].startswith("medmask: warning: "), result.stderr
        assert f" {len(off_grid)} input(s)" in warnings[0]
    else:
        assert result.stderr == ""
    lines = result.stdout.strip().splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["files", "in"])
    fields = lines[header + 1].split()
    assert int(fields[0]) == 117
    assert int(fields[1].replace(",", "")) == sum(p.stat().st_size for p in sample_files)
    assert int(fields[2].replace(",", "")) == archive.stat().st_size
    in_bytes = sum(p.stat().st_size for p in sample_files)
    assert fields[3] == f"{in_bytes / archive.stat().st_size:.1f}:1"
    assert archive.stat().st_size < in_bytes
    assert not list(archive.parent.glob("*.tmp*")), "scratch files left behind"


def test_pack_sample_strict_tolerance(sample_files, off_grid, tmp_path):
    out = tmp_path / "strict.mska"
    result = run("pack", SAMPLE, "-o", out, "-q", "--tolerance", STRICT_TOLERANCE_MM)
    if not off_grid:
        assert result.returncode == 0, result.stderr
        return
    assert_error(result, f"{off_grid[0]}.nii.gz", sample_files[0].name, "--tolerance")
    assert not out.exists()


def test_pack_quiet_prints_nothing(tmp_path):
    out = tmp_path / "q.mska"
    files = [
        save_mask(tmp_path / f"m{i}.nii.gz", np.full((2, 3, 4), i), SMALL_AFFINE) for i in (0, 1)
    ]
    result = run("pack", *files, "-o", out, "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    assert out.is_file()


def test_info_structures_match_nibabel(info, reference):
    structures = {s["name"]: s for s in info["structures"]}
    assert len(info["structures"]) == 117
    assert sorted(structures) == sorted(reference)
    for name, ref in reference.items():
        s = structures[name]
        assert s["voxels"] == ref["voxels"], name
        if ref["bbox"] is None:
            assert s["bbox_min_zyx"] is None and s["bbox_max_zyx"] is None, name
        else:
            assert [s["bbox_min_zyx"], s["bbox_max_zyx"]] == list(ref["bbox"]), name
    non_empty = sum(1 for r in reference.values() if r["voxels"] > 0)
    assert info["counts"] == {
        "structures": 117,
        "non_empty": non_empty,
        "empty": 117 - non_empty,
    }
    assert non_empty == 21  # data/README.md: 21 non-empty, 96 empty masks kept


def test_info_values_and_entries_consistent(info):
    entries = set(info["entries"])
    assert entries, "no entries"
    pairs = set()
    for s in info["structures"]:
        assert s["entry"] in entries
        assert s["value"] >= 1
        assert (s["entry"], s["value"]) not in pairs, "two structures share entry and value"
        pairs.add((s["entry"], s["value"]))


def test_info_space_matches_nibabel(info, sample_files, reference):
    img = nib.load(str(sample_files[0]))
    affine_ras = img.affine
    zooms = np.array(img.header.get_zooms()[:3], dtype=float)
    space = info["space"]
    assert space["shape_xyz"] == list(img.shape)
    np.testing.assert_allclose(space["spacing_mm"], zooms, atol=1e-5)
    np.testing.assert_allclose(space["origin_lps"], LPS_FROM_RAS @ affine_ras[:3, 3], atol=1e-4)
    direction_lps = LPS_FROM_RAS @ affine_ras[:3, :3] / zooms  # columns = axis directions
    # The index's spelling: a list of the direction matrix's columns.
    assert "direction" not in space
    np.testing.assert_allclose(np.array(space["direction_columns"]).T, direction_lps, atol=1e-5)
    assert space["handedness"] == int(np.sign(np.linalg.det(direction_lps)))
    voxel_ml = float(np.prod(zooms)) / 1000.0
    for s in info["structures"]:
        expected = reference[s["name"]]["voxels"] * voxel_ml
        assert s["volume_ml"] == pytest.approx(expected, rel=1e-5, abs=1e-9), s["name"]


def test_info_text_lists_every_structure(packed, reference):
    result = run("info", packed[0])
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    non_empty = sum(1 for r in reference.values() if r["voxels"] > 0)
    assert f"structures: 117 ({non_empty} non-empty, {117 - non_empty} empty)" in result.stdout
    for name, ref in reference.items():
        assert name in rows, name
        assert f"{ref['voxels']:,}" in rows[name].split(), (name, rows[name])


def test_info_overlaps_match_nibabel(packed, sample_files):
    """`info --overlaps` lists every pair of structures sharing voxels, counted by numpy."""
    masks = {}
    for path in sample_files:
        data = voxels_zyx(path) != 0
        if data.any():
            masks[stem(path)] = data
    expected = {}
    names = sorted(masks)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            shared = int(np.count_nonzero(masks[a] & masks[b]))
            if shared:
                expected[frozenset((a, b))] = shared
    assert expected, "the sample case has overlapping structures"
    result = run("info", packed[0], "--overlaps")
    assert result.returncode == 0, result.stderr
    section = result.stdout.split("overlaps (decoded from the voxels):", 1)[1]
    found = {}
    for line in section.strip().splitlines():
        pair, count = line.strip().split(": ")
        a, b = pair.split(" & ")
        found[frozenset((a, b))] = int(count.split()[0].replace(",", ""))
    assert found == expected


def test_info_json_shows_parts(tmp_path):
    """In shared layers a structure sharing voxels keeps them in a second layer: two parts,
    counts adding up."""
    archive = tmp_path / "shared.mska"
    result = run("pack", SAMPLE, "-o", archive, "--shared-layers", "--quiet")
    assert result.returncode == 0, result.stderr
    shown = run("info", archive, "--json")
    assert shown.returncode == 0, shown.stderr
    split = [s for s in json.loads(shown.stdout)["structures"] if len(s.get("parts", [])) > 1]
    assert split, "no structure is split over layers"
    for s in split:
        assert sum(p["voxels"] for p in s["parts"]) == s["voxels"]
        assert len({p["entry"] for p in s["parts"]}) == len(s["parts"])


def test_pack_default_gives_each_structure_a_layer(info, tmp_path):
    """The default layout at level default: every non-empty structure whole in an entry of its
    own, so that reading it decodes nothing else; the two layout flags exclude each other."""
    non_empty = [s for s in info["structures"] if s["voxels"] > 0 and not s.get("members")]
    assert non_empty
    entries = [s["entry"] for s in non_empty]
    assert len(set(entries)) == len(entries)
    assert all(len(s.get("parts", [s])) == 1 for s in non_empty)
    both = run(
        "pack", SAMPLE, "-o", tmp_path / "x.mska", "--shared-layers", "--layer-per-structure"
    )
    assert both.returncode != 0
    assert "excludes" in both.stderr


def test_extract_every_structure_bit_exact(packed, sample_files, tmp_path):
    grid = nib.load(str(sample_files[0])).affine  # the archive's grid: the first file's
    out = tmp_path / "out"
    names = [stem(p) for p in sample_files]
    result = run("extract", packed[0], *names, "-o", out, "--quiet")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.nii.gz" for n in names)
    for source in sample_files:
        expected = nib.load(str(source))
        got = nib.load(str(out / f"{stem(source)}.nii.gz"))
        assert got.get_data_dtype() == np.uint8, source.name
        assert got.shape == expected.shape, source.name
        got_data = np.asanyarray(got.dataobj)
        assert np.array_equal(got_data, np.asanyarray(expected.dataobj)), source.name
        assert set(np.unique(got_data)) <= {0, 1}, source.name
        np.testing.assert_allclose(got.affine, grid, atol=1e-5, err_msg=source.name)
        assert corner_distance_mm(got.affine, expected.affine, got.shape) <= 0.1, source.name


def test_extract_one_name_to_file_and_union(packed, reference, tmp_path):
    non_empty = [n for n, r in reference.items() if r["voxels"] > 0]
    two = sorted(non_empty, key=lambda n: -reference[n]["voxels"])[:2]
    one_file = tmp_path / "one.nii.gz"
    result = run("extract", packed[0], two[0], "-o", one_file)
    assert result.returncode == 0, result.stderr
    assert np.array_equal(voxels_zyx(one_file), voxels_zyx(SAMPLE / f"{two[0]}.nii.gz"))

    union_file = tmp_path / "union.nii.gz"
    result = run("extract", packed[0], *two, "--union", "-o", union_file)
    assert result.returncode == 0, result.stderr
    expected = np.logical_or(*(voxels_zyx(SAMPLE / f"{n}.nii.gz") > 0 for n in two))
    got = voxels_zyx(union_file)
    assert got.dtype == np.uint8
    assert np.array_equal(got, expected.astype(np.uint8))
    assert np.count_nonzero(got) > reference[two[0]]["voxels"]


def test_verify_reads_everything(packed):
    result = run("verify", packed[0])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "verified 117 structures" in result.stdout


def verify_against(archive: Path, folder: Path) -> subprocess.CompletedProcess[str]:
    return run("verify", archive, "--against", folder)


def test_verify_against_sources_passes(packed):
    result = verify_against(packed[0], SAMPLE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == "verified 117 structures: all identical"


def test_verify_strict_tolerance_reports_off_grid_files(packed, off_grid):
    result = run("verify", packed[0], "--against", SAMPLE, "--tolerance", STRICT_TOLERANCE_MM)
    mismatched = sorted(
        line.split()[1] for line in result.stdout.splitlines() if line.startswith("MISMATCH")
    )
    assert mismatched == sorted(off_grid)
    assert result.returncode == (1 if off_grid else 0)


def test_verify_detects_corrupted_data(packed, tmp_path):
    corrupt = tmp_path / "corrupt.mska"
    data = bytearray(packed[0].read_bytes())
    data[len(data) // 2] ^= 0x10  # the middle of the file holds compressed voxels
    corrupt.write_bytes(bytes(data))
    result = run("verify", corrupt)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "verified" not in result.stdout


@pytest.fixture
def sample_copy(tmp_path) -> Path:
    folder = tmp_path / "copy"
    shutil.copytree(SAMPLE, folder)
    return folder


def test_verify_against_modified_mask_fails(packed, sample_copy, reference):
    name = max(reference, key=lambda n: reference[n]["voxels"])
    path = sample_copy / f"{name}.nii.gz"
    img = nib.load(str(path))
    data = np.asanyarray(img.dataobj).copy()
    flip = np.argwhere(data > 0)[:5]
    data[tuple(flip.T)] = 0  # 5 voxels fewer
    nib.save(nib.Nifti1Image(data, img.affine, img.header), str(path))

    result = verify_against(packed[0], sample_copy)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    mismatch = [line for line in lines if name in line and "MISMATCH" in line]
    assert len(mismatch) == 1, result.stdout
    assert re.search(r"\b5 voxels differ", mismatch[0]), mismatch[0]
    assert lines[-1] == "1 mismatch"


def test_verify_against_shifted_affine_fails(packed, sample_copy, reference):
    name = next(n for n in sorted(reference) if reference[n]["voxels"] > 0)
    path = sample_copy / f"{name}.nii.gz"
    img = nib.load(str(path))
    affine = img.affine.copy()
    affine[0, 3] += 0.5  # 0.5 mm: above the tolerance
    nib.save(nib.Nifti1Image(np.asanyarray(img.dataobj), affine), str(path))
    result = verify_against(packed[0], sample_copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert any(name in line and "MISMATCH" in line for line in result.stdout.splitlines())


def test_verify_against_missing_structure_fails(packed, sample_copy):
    template = nib.load(str(next(SAMPLE.glob("*.nii.gz"))))
    save_mask(sample_copy / "not_in_archive.nii.gz", np.zeros(template.shape), template.affine)
    result = verify_against(packed[0], sample_copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert any("not_in_archive" in line for line in result.stdout.splitlines())


# --- small synthetic cases -------------------------------------------------------------------


def test_overlapping_and_empty_structures_round_trip(tmp_path):
    rng = np.random.default_rng(20240601)
    shape = (7, 5, 4)  # (x, y, z)
    a = rng.random(shape) < 0.4
    b = rng.random(shape) < 0.4  # overlaps a
    assert np.any(a & b)
    src = tmp_path / "src"
    src.mkdir()
    save_mask(src / "a.nii.gz", a, SMALL_AFFINE)
    save_mask(src / "b.nii", b, SMALL_AFFINE)
    save_mask(src / "c_empty.nii.gz", np.zeros(shape), SMALL_AFFINE)
    archive = tmp_path / "small.mska"
    assert run("pack", src, "-o", archive, "-q").returncode == 0

    info = json.loads(run("info", archive, "--json").stdout)
    by_name = {s["name"]: s for s in info["structures"]}
    assert sorted(by_name) == ["a", "b", "c_empty"]
    assert by_name["a"]["voxels"] == int(a.sum())
    assert by_name["b"]["voxels"] == int(b.sum())
    assert by_name["c_empty"]["voxels"] == 0
    handedness = int(np.sign(np.linalg.det(LPS_FROM_RAS @ SMALL_AFFINE[:3, :3])))
    assert info["space"]["handedness"] == handedness

    out = tmp_path / "out"
    assert run("extract", archive, "a", "b", "c_empty", "-o", out, "-q").returncode == 0
    for name, expected in [("a", a), ("b", b), ("c_empty", np.zeros(shape, bool))]:
        img = nib.load(str(out / f"{name}.nii.gz"))
        assert np.array_equal(np.asanyarray(img.dataobj), expected.astype(np.uint8)), name
        np.testing.assert_allclose(img.affine, SMALL_AFFINE, atol=1e-5)
    result = run("verify", archive, "--against", src)
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip().splitlines()[-1] == "verified 3 structures: all identical"


def test_pack_error_missing_file(tmp_path):
    missing = tmp_path / "no_such_mask.nii.gz"
    out = tmp_path / "x.mska"
    assert_error(run("pack", missing, "-o", out), str(missing))
    assert not out.exists()


@pytest.mark.parametrize("file_name", ["garbage.nii.gz", "garbage.nii", "notes.txt"])
def test_pack_error_not_nifti(tmp_path, file_name):
    bad = tmp_path / file_name
    bad.write_bytes(b"this is not a NIfTI file\n" * 40)
    good = save_mask(tmp_path / "good.nii.gz", np.ones((3, 3, 3)), SMALL_AFFINE)
    out = tmp_path / "x.mska"
    assert_error(run("pack", good, bad, "-o", out), file_name)
    assert not out.exists()
    assert not list(tmp_path.glob("*.tmp*")), "scratch files left behind"


def test_pack_error_mismatched_shapes(tmp_path):
    first = save_mask(tmp_path / "first.nii.gz", np.ones((4, 4, 4)), SMALL_AFFINE)
    second = save_mask(tmp_path / "second.nii.gz", np.ones((4, 4, 5)), SMALL_AFFINE)
    out = tmp_path / "x.mska"
    assert_error(run("pack", tmp_path, "-o", out), "first.nii.gz", "second.nii.gz")
    assert not out.exists()
    del first, second


def test_pack_error_mismatched_affine(tmp_path):
    shifted = SMALL_AFFINE.copy()
    shifted[1, 3] += 0.2  # a quarter of the smallest spacing (0.8 mm): beyond the default 0.08 mm
    save_mask(tmp_path / "first.nii.gz", np.ones((4, 4, 4)), SMALL_AFFINE)
    save_mask(tmp_path / "second.nii.gz", np.ones((4, 4, 4)), shifted)
    out = tmp_path / "x.mska"
    assert_error(run("pack", tmp_path, "-o", out), "first.nii.gz", "second.nii.gz")
    assert not out.exists()
    # A looser tolerance stores both on the first file's grid, with a warning.
    result = run("pack", tmp_path, "-o", out, "--tolerance", "0.25")
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("medmask: warning: 1 input(s)"), result.stderr
    extracted = tmp_path / "second_out.nii.gz"
    assert run("extract", out, "second", "-o", extracted, "-q").returncode == 0
    np.testing.assert_allclose(nib.load(str(extracted)).affine, SMALL_AFFINE, atol=1e-5)
    # ... and not beyond it.
    assert_error(run("pack", tmp_path, "-o", out, "--tolerance", "0.15"), "second.nii.gz")


def test_pack_accepts_affine_within_tolerance(tmp_path):
    nearly = SMALL_AFFINE.copy()
    nearly[1, 3] += 1e-6
    save_mask(tmp_path / "first.nii.gz", np.ones((4, 4, 4)), SMALL_AFFINE)
    save_mask(tmp_path / "second.nii.gz", np.ones((4, 4, 4)), nearly)
    result = run("pack", tmp_path, "-o", tmp_path / "x.mska", "-q")
    assert result.returncode == 0, result.stderr


def test_pack_error_not_binary(tmp_path):
    data = np.zeros((4, 4, 4))
    data[1, 1, 1] = 2
    save_mask(tmp_path / "labels.nii.gz", data, SMALL_AFFINE)
    assert_error(run("pack", tmp_path, "-o", tmp_path / "x.mska"), "labels.nii.gz")


def test_pack_error_empty_folder(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_error(run("pack", empty, "-o", tmp_path / "x.mska"), str(empty))


def test_extract_error_unknown_name(packed, tmp_path):
    out = tmp_path / "x.nii.gz"
    assert_error(run("extract", packed[0], "no_such_organ", "-o", out), "no_such_organ")
    assert not out.exists()
    result = run("extract", packed[0], "liver", "not_an_organ", "-o", tmp_path / "d")
    assert_error(result, "not_an_organ")


def test_info_error_not_an_archive(tmp_path):
    bad = tmp_path / "bad.mska"
    bad.write_bytes(b"\0" * 300)
    assert_error(run("info", bad), "bad.mska")
    missing = tmp_path / "missing.mska"
    assert_error(run("info", missing), "missing.mska")


def test_usage_errors_exit_2():
    assert run().returncode == 2
    assert run("pack", SAMPLE).returncode == 2  # no -o
    assert run("frobnicate").returncode == 2
    assert run("pack", SAMPLE, "-o", "x.mska", "--level", "ultra").returncode == 2


def test_version_matches_project():
    header = (REPO / "include/medmask/version.hpp").read_text()
    version = re.search(r'MEDMASK_VERSION_STRING "(\d+\.\d+\.\d+)"', header).group(1)
    result = run("--version")
    assert result.returncode == 0
    assert version in result.stdout


@pytest.mark.parametrize("level", ["fast", "max"])
def test_pack_level_is_recorded_and_reads_back(tmp_path, sample_files, level):
    files = [p for p in sample_files if stem(p) in ("liver", "colon", "sacrum")]
    out = tmp_path / f"{level}.mska"
    result = run("pack", *files, "-o", out, "-q", "--level", level)
    assert result.returncode == 0, result.stderr
    details = json.loads(run("info", out, "--json").stdout)["entry_details"]
    assert details
    assert all(e["coding"] == "medmask-cm1-tiles" and e["level"] == level for e in details)
    assert run("verify", out, "--against", *files).returncode == 0


def test_entry_qualified_names_work_and_ambiguous_ones_are_named(tmp_path):
    """Entries are namespaces: "b/liver" extracts; a plain "liver" held by two entries is refused."""
    space = medmask.Space((5, 4, 3), (1.0, -2.0, 3.5), (0.8, 0.9, 2.0))
    liver = np.zeros(space.shape_zyx, np.uint8)
    liver[0] = 1
    path = tmp_path / "ns.mska"
    with medmask.MaskArchive(path, mode="w", space=space) as archive:
        archive.add_segmask(medmask.SegmentationMask(liver, {"liver": 1}, space), "a")
        archive.add_segmask(medmask.SegmentationMask(liver * 2, {"liver": 2}, space), "b")
    out = tmp_path / "b_liver.nii.gz"
    done = run("extract", path, "b/liver", "-o", out)
    assert done.returncode == 0, done.stderr
    assert np.asarray(nib.load(out).dataobj).sum() == liver.sum()
    assert_error(run("extract", path, "liver", "-o", out), "ambiguous", "'a/liver', 'b/liver'")


# --- outputs are replaced atomically by the library's one writer --------------------------------


def test_pack_and_convert_that_fail_leave_the_output_and_no_temporaries(tmp_path):
    masks = tmp_path / "masks"
    masks.mkdir()
    one = np.zeros((6, 5, 4), np.uint8)
    one[1:3, 1:3, 1:3] = 1
    save_mask(masks / "a.nii.gz", one, SMALL_AFFINE)
    out = tmp_path / "out"
    out.mkdir()
    archive = out / "case.mska"
    result = run("pack", masks, "-o", archive, "-q")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["case.mska"]
    good = archive.read_bytes()

    # Fails at the second file, after the archive was started on the first one's grid.
    save_mask(masks / "b.nii.gz", one * 2, SMALL_AFFINE)
    assert_error(run("pack", masks, "-o", archive), "b.nii.gz", "not a binary mask")
    assert archive.read_bytes() == good
    assert sorted(p.name for p in out.iterdir()) == ["case.mska"]

    # Recoding fails on a corrupt data section (it starts after the 64-byte header), both to
    # another output and in place.
    corrupt = out / "corrupt.mska"
    data = bytearray(good)
    data[80] ^= 0xFF
    corrupt.write_bytes(bytes(data))
    for target in (archive, corrupt):
        before = target.read_bytes()
        line = assert_error(
            run("convert", corrupt, "-o", target, "--level", "max"),
            f"{corrupt}: ",
            "checksum mismatch",
        )
        assert ".tmp" not in line, line
        assert target.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["case.mska", "corrupt.mska"]
