"""Colours (issue #17 item 9): names TotalSegmentator defines get its colour and coded concept
when packed (expected values read here from data/totalsegmentator_snomed_mapping.csv with the csv
module); other structures get distinct generated colours in a seg.nrrd export, so 3D Slicer does
not show every segment in one green."""

from __future__ import annotations

import csv
import json

import nibabel as nib
import numpy as np

import medmask

from cli_support import REPO, require_cli, run

require_cli()


def ts_rows() -> dict[str, dict]:
    with open(REPO / "data" / "totalsegmentator_snomed_mapping.csv", newline="") as f:
        return {row["Structure"]: row for row in csv.DictReader(f)}


def seg_nrrd_header(path) -> dict[str, str]:
    data = path.read_bytes()
    text = data[: data.index(b"\n\n")].decode()
    return dict(line.split(":=", 1) for line in text.splitlines() if ":=" in line)


def test_totalsegmentator_names_get_its_colours_and_others_distinct_ones(tmp_path):
    masks = tmp_path / "masks"
    masks.mkdir()
    names = ["liver", "spleen", "my_lesion", "my_cyst", "my_node"]
    for n, name in enumerate(names):
        data = np.zeros((6, 5, 4), np.uint8)
        data[n, 0, 0] = 1
        nib.save(nib.Nifti1Image(data, np.eye(4)), str(masks / f"{name}.nii.gz"))
    archive = tmp_path / "case.mska"
    assert run("pack", masks, "-o", archive, "-q").returncode == 0

    rows = ts_rows()
    with medmask.open(archive) as a:
        colours = {s.name: s.color for s in a.structures}
    for name in ("liver", "spleen"):
        assert colours[name] == tuple(int(v) for v in rows[name]["DicomRGBColor"].split(","))
    assert colours["my_lesion"] is None  # nothing invented in the archive

    out = tmp_path / "case.seg.nrrd"
    assert run("export", archive, "--to", "seg.nrrd", "-o", out, "-q").returncode == 0
    header = seg_nrrd_header(out)
    segment_colours = {
        header[f"Segment{i}_Name"]: header[f"Segment{i}_Color"] for i in range(len(names))
    }
    assert len(set(segment_colours.values())) == len(names), segment_colours
    liver = [float(v) for v in segment_colours["liver"].split()]
    expected = [int(v) / 255 for v in rows["liver"]["DicomRGBColor"].split(",")]
    np.testing.assert_allclose(liver, expected, atol=1e-5)


def test_packed_names_carry_totalsegmentator_concepts(tmp_path):
    masks = tmp_path / "masks"
    masks.mkdir()
    data = np.zeros((4, 4, 4), np.uint8)
    data[1, 1, 1] = 1
    nib.save(nib.Nifti1Image(data, np.eye(4)), str(masks / "liver.nii.gz"))
    archive = tmp_path / "case.mska"
    assert run("pack", masks, "-o", archive, "-q").returncode == 0
    out = tmp_path / "x"
    assert run("export", archive, "--to", "nifti-dir", "-o", out, "-q").returncode == 0
    labels = json.loads((out / "labels.json").read_text())
    liver = next(s for s in labels["structures"] if s["name"] == "liver")
    row = ts_rows()["liver"]
    assert liver["concept"]["code"] == row["SegmentedPropertyTypeCodeSequence.CodeValue"]
    assert liver["concept"]["scheme"] == "SCT"
