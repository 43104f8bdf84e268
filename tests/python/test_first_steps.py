"""Small surprises a new user met (issue #17 item 10 and its weaker errors): extract's output
paths, what export reports, info --overlaps, unknown names and reversed z ranges."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

import medmask

from cli_support import assert_error, require_cli, run

require_cli()


@pytest.fixture
def archive(tmp_path):
    """c = region 1, a = regions 1 and 2 and one voxel, b = region 2, d = regions 1 and 2 and
    another voxel: a and d both keep voxels beyond the first layer and share 16, and an export
    needs three layers. Neither is a union of stored structures (format 1.3 recognises unions at
    commit, whatever the order: a without its voxel, being c and b, would become a group)."""
    space = medmask.Space((6, 5, 4), (0, 0, 0), (1.0, 1.0, 1.0))
    region1 = np.zeros(space.shape_zyx, bool)
    region1[0:2, 0:2, 0:2] = True
    region2 = np.zeros(space.shape_zyx, bool)
    region2[2:4, 2:4, 2:4] = True
    path = tmp_path / "case.mska"
    with medmask.MaskArchive(path, "w", space=space) as a:
        a.add("c", region1)
        a_mask = region1 | region2
        a_mask[3, 0, 5] = True  # not a union of stored structures, so not a group
        a.add("a", a_mask)
        a.add("b", region2)
        d = region1 | region2
        d[3, 4, 5] = True  # not a union of stored structures, so not a group
        a.add("d", d)  # a third layer
    return path


def test_extract_several_names_to_a_nifti_name_is_refused(archive, tmp_path):
    out = tmp_path / "two.nii.gz"
    assert_error(run("extract", archive, "a", "b", "-o", out), "two.nii.gz", "--union")
    assert not out.exists()


def test_extract_one_name_to_a_folder_with_a_slash(archive, tmp_path):
    result = run("extract", archive, "a", "-o", f"{tmp_path / 'onedir'}/")
    assert result.returncode == 0, result.stderr
    written = nib.load(str(tmp_path / "onedir" / "a.nii.gz"))
    assert np.asanyarray(written.dataobj).sum() == 17


def test_split_layers_reports_only_files_it_wrote(archive, tmp_path):
    out = tmp_path / "case.nii.gz"
    result = run("export", archive, "--to", "nifti-multilabel", "--split-layers", "-o", out)
    assert result.returncode == 0, result.stderr
    reported = [
        line.removeprefix("wrote ")
        for line in result.stdout.splitlines()
        if line.startswith("wrote ")
    ]
    assert len(reported) == 6, result.stdout  # three layers, each with its sidecar
    assert all(Path(p).exists() for p in reported), result.stdout
    assert not out.exists() and str(out) not in reported


def test_info_overlaps_lists_each_pair_once(archive):
    result = run("info", archive, "--overlaps")
    assert result.returncode == 0, result.stderr
    section = result.stdout.split("overlaps")[-1]
    pairs = [line.split(":")[0].strip() for line in section.splitlines() if "&" in line]
    assert sorted(tuple(sorted(p.split(" & "))) for p in pairs) == [
        ("a", "b"),
        ("a", "c"),
        ("a", "d"),
        ("b", "d"),
        ("c", "d"),
    ], pairs


def test_unknown_name_suggests_the_close_one(archive):
    with medmask.open(archive) as a:
        with pytest.raises(KeyError, match=r"did you mean 'a'"):
            a["A"]


def test_reversed_z_range_is_called_reversed(archive):
    with medmask.open(archive) as a:
        with pytest.raises(ValueError, match="reversed"):
            a.get("a", z_range=(3, 1))


def test_labels_at_with_a_float_is_a_one_line_type_error(archive):
    with medmask.open(archive) as a:
        assert set(a.labels_at(0, 0, 0)) == {"a", "c", "d"}
        with pytest.raises(TypeError) as caught:
            a.labels_at(1.5, 0, 0)
    message = str(caught.value)
    assert "\n" not in message and "z must be an integer" in message and "1.5" in message, message
