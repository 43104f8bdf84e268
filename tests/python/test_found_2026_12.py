"""The defects an independent probe found in 2026-12 (SECURITY.md), through Python and the CLI.

The files live in tests/data/errors/found-2026-12 (tests/cpp/test_found_2026_12.cpp checks each
with its expected error kind); this module covers what users meet from Python: the error types,
limits=, races between handles, names that are data and files made at test time.
"""

from __future__ import annotations

import gzip
import json
import multiprocessing
import os
import pathlib

import numpy as np
import pytest

import medmask

from cli_support import require_cli, run

ERRORS = pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / "errors" / "found-2026-12"


def small_space() -> medmask.Space:
    return medmask.Space(shape=(4, 3, 2))


def one_voxel(x: int) -> np.ndarray:
    mask = np.zeros((2, 3, 4), bool)
    mask[0, 0, x] = True
    return mask


def test_invalid_utf8_name_is_a_format_error_not_unicode_decode_error() -> None:
    with pytest.raises(medmask.FormatError, match="UTF-8"):
        medmask.open(ERRORS / "name_invalid_utf8.mska")


def test_group_nesting_gives_limit_error_without_recursion() -> None:
    with pytest.raises(medmask.LimitError, match="nested deeper"):
        medmask.open(ERRORS / "group_nesting_50000_levels.mska")


def test_limits_are_accepted_by_open_and_read_nifti(tmp_path: pathlib.Path) -> None:
    nib = pytest.importorskip("nibabel")
    path = tmp_path / "grid.nii.gz"
    nib.save(nib.Nifti1Image(np.zeros((20, 20, 20), np.uint8), np.eye(4)), path)
    with pytest.raises(medmask.LimitError, match="read limit"):
        medmask.read_nifti(path, limits=medmask.ReadLimits(max_voxels=1000))
    array, _ = medmask.read_nifti(path, limits=medmask.ReadLimits(max_voxels=8000))
    assert array.shape == (20, 20, 20)
    with pytest.raises(medmask.LimitError):
        medmask.open(
            ERRORS / "grid_2pow34_one_voxel.mska", limits=medmask.ReadLimits(max_voxels=2**30)
        )
    with medmask.open(ERRORS / "grid_2pow34_one_voxel.mska") as archive:  # within the defaults
        assert int(np.prod(archive.space.shape, dtype=np.int64)) == 2**34


def test_compact_does_not_drop_what_another_handle_committed(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "race.mska"
    with medmask.MaskArchive(path, "w", space=small_space()) as writer:
        writer.add("s0", one_voxel(0))
    first = medmask.MaskArchive(path, "a")
    second = medmask.MaskArchive(path, "a")
    second.add("b1", one_voxel(1))
    second.close()
    with pytest.raises(OSError, match="changed since"):
        first.compact()
    first.close()
    assert "b1" in medmask.open(path).names()


def _create_and_add(path: str, name: str, x: int) -> str:
    try:
        with medmask.MaskArchive(path, "a", space=small_space()) as archive:
            archive.add(name, one_voxel(x))
        return "committed"
    except (OSError, medmask.FormatError) as error:
        return f"refused: {error}"


def test_two_processes_creating_one_file_never_lose_a_commit(tmp_path: pathlib.Path) -> None:
    context = multiprocessing.get_context("spawn")
    for trial in range(5):
        path = str(tmp_path / f"create{trial}.mska")
        with context.Pool(2) as pool:
            outcomes = pool.starmap(_create_and_add, [(path, "a", 0), (path, "b", 1)])
        stored = set(medmask.open(path).names())
        for name, outcome in zip("ab", outcomes):
            assert (name in stored) == (outcome == "committed"), (outcomes, stored)


@pytest.mark.parametrize(
    "name", ["a\0b", "liver\nencoding: raw\ndata file: /etc/passwd", "tab\there", "\x1b[31mred"]
)
def test_names_with_control_characters_are_refused(tmp_path: pathlib.Path, name: str) -> None:
    with medmask.MaskArchive(tmp_path / "n.mska", "w", space=small_space()) as archive:
        with pytest.raises(ValueError, match="control character"):
            archive.add(name, one_voxel(0))


def test_names_that_leave_the_export_folder_are_refused(tmp_path: pathlib.Path) -> None:
    require_cli()
    path = tmp_path / "paths.mska"
    with medmask.MaskArchive(path, "w", space=small_space()) as archive:
        for x, name in enumerate(["../evil", "/abs/evil", "..", "con", "LPT1.x"]):
            try:
                archive.add(name, one_voxel(x % 4))
            except ValueError:
                pass  # refused on write: nothing can reach an exporter either
    out = tmp_path / "out"
    stored = medmask.open(path).names()
    result = run("export", path, "--to", "nifti-dir", "-o", out)
    assert result.returncode == (1 if stored else 0), result.stderr
    if stored:
        assert "cannot be used as a file name" in result.stderr
    for name in stored:
        result = run("extract", path, name, "-o", f"{tmp_path / 'one'}/")
        assert result.returncode == 1 and "cannot be used as a file name" in result.stderr
    escaped = [p for p in tmp_path.rglob("*.nii.gz") if out not in p.parents]
    assert escaped == [], escaped
    assert not (tmp_path / "evil.nii.gz").exists() and not pathlib.Path("/abs").exists()


def write_seg_nrrd(path: pathlib.Path, header_lines: list[str], payload: bytes) -> None:
    """A one-segment .seg.nrrd (Slicer's fields) with header_lines added."""
    common = [
        "dimension: 3",
        "space: left-posterior-superior",
        "space directions: (1,0,0) (0,1,0) (0,0,1)",
        "kinds: domain domain domain",
        "endian: little",
        "space origin: (0,0,0)",
        "Segment0_ID:=S1",
        "Segment0_Name:=liver",
        "Segment0_LabelValue:=1",
        "Segment0_Layer:=0",
    ]
    header = "NRRD0004\n" + "\n".join(header_lines + common) + "\n\n"
    path.write_bytes(header.encode() + payload)


@pytest.mark.parametrize("data_file", ["/etc/passwd", "../secret.raw", "sub/secret.raw"])
def test_seg_nrrd_data_file_outside_its_folder_is_refused(
    tmp_path: pathlib.Path, data_file: str
) -> None:
    require_cli()
    (tmp_path / "secret.raw").write_bytes(bytes(24))
    folder = tmp_path / "case"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "secret.raw").write_bytes(bytes(24))
    seg = folder / "x.seg.nrrd"
    write_seg_nrrd(
        seg,
        ["type: uchar", "sizes: 4 3 2", "encoding: raw", f"data file: {data_file}"],
        b"",
    )
    result = run("pack", seg, "-o", tmp_path / "x.mska")
    assert result.returncode == 1, result.stdout
    assert "data file" in result.stderr and "beside the header" in result.stderr


def test_seg_nrrd_gzip_bomb_is_refused_by_the_voxel_limit(tmp_path: pathlib.Path) -> None:
    require_cli()
    seg = tmp_path / "bomb.seg.nrrd"
    sizes = (512, 512, 256)  # 64 Mi voxels in a ~64 KB gzip stream
    payload = gzip.compress(bytes(sizes[0] * sizes[1] * sizes[2]), compresslevel=9)
    write_seg_nrrd(
        seg,
        ["type: uchar", "sizes: " + " ".join(map(str, sizes)), "encoding: gzip"],
        payload,
    )
    result = run("--max-voxels", "1000000", "pack", seg, "-o", tmp_path / "bomb.mska")
    assert result.returncode == 1
    assert "read limit" in result.stderr, result.stderr


def test_pack_with_100000_labels_is_linear(tmp_path: pathlib.Path) -> None:
    """labels_100k.json took 40 s (a linear duplicate check per label); hash lookups now."""
    require_cli()
    nib = pytest.importorskip("nibabel")
    volume = np.arange(1, 4 * 3 * 2 + 1, dtype=np.uint32).reshape(4, 3, 2)
    nib.save(nib.Nifti1Image(volume, np.eye(4)), tmp_path / "lab.nii")
    labels = {f"s{value}": value for value in range(1, 100_001)}
    (tmp_path / "labels.json").write_text(json.dumps(labels))
    result = run(
        "pack",
        tmp_path / "lab.nii",
        "--labels",
        tmp_path / "labels.json",
        "-o",
        tmp_path / "l.mska",
    )
    assert result.returncode == 0, result.stderr
    with medmask.open(tmp_path / "l.mska") as archive:
        assert len(archive.names()) == 100_000
        assert int(archive["s24"].sum()) == 1


def test_verify_checks_chunks_outside_every_bounding_box() -> None:
    require_cli()
    result = run("verify", ERRORS / "chunk_corrupt_outside_every_box.mska")
    assert result.returncode == 1
    assert "checksum mismatch" in result.stdout + result.stderr
    assert "checksums OK" not in result.stdout


def test_nifti_quaternion_that_is_not_a_rotation_is_refused(tmp_path: pathlib.Path) -> None:
    """nibabel refuses b^2 + c^2 + d^2 > 1; MedMask read some other rotation silently."""
    nib = pytest.importorskip("nibabel")
    image = nib.Nifti1Image(np.zeros((4, 3, 2), np.uint8), np.eye(4))
    image.header.set_sform(None, code=0)
    image.header.set_qform(np.eye(4), code=1)
    nib.save(image, tmp_path / "q.nii")
    raw = bytearray((tmp_path / "q.nii").read_bytes())
    raw[256:268] = np.array([0.9, 0.9, 0.0], "<f4").tobytes()  # quatern_b, c, d
    (tmp_path / "q.nii").write_bytes(bytes(raw))
    with pytest.raises(ValueError):
        _ = nib.load(tmp_path / "q.nii").affine
    with pytest.raises(medmask.FormatError, match="not a rotation"):
        medmask.read_nifti(tmp_path / "q.nii")


def test_cli_never_follows_a_fifo(tmp_path: pathlib.Path) -> None:
    require_cli()
    fifo = tmp_path / "pipe.mska"
    os.mkfifo(fifo)
    result = run("info", fifo)
    assert result.returncode == 1
    assert "regular file" in result.stderr or "not a file" in result.stderr, result.stderr
