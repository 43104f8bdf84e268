"""Format 1.3: the thread setting (Python threads=, CLI --threads) and recognised unions that never
block editing their members (a copy of a mask packed from a folder becomes a one-member group)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import medmask

from cli_support import require_cli, run
from conftest import SAMPLE, nib_zyx

require_cli()


@pytest.fixture(scope="module")
def folder_with_copy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dup")
    for name in ("colon", "sacrum"):
        shutil.copy(SAMPLE / f"{name}.nii.gz", folder / f"{name}.nii.gz")
    shutil.copy(SAMPLE / "colon.nii.gz", folder / "colon_copy.nii.gz")
    return folder


def test_threads_option_is_checked_and_changes_nothing(tmp_path):
    space = medmask.Space.from_nifti(SAMPLE / "colon.nii.gz")
    colon = nib_zyx(SAMPLE / "colon.nii.gz") != 0
    paths = []
    for threads in (1, 2, None):
        paths.append(tmp_path / f"t{threads}.mska")
        with medmask.MaskArchive(paths[-1], "w", space=space, threads=threads) as archive:
            archive.add("colon", colon)
    assert paths[0].read_bytes() == paths[1].read_bytes() == paths[2].read_bytes()
    with medmask.MaskArchive(paths[0], threads=3) as archive:
        assert np.array_equal(archive["colon"], colon)
    with pytest.raises(ValueError, match="threads"):
        medmask.MaskArchive(paths[0], threads=0)


def test_cli_threads_before_or_after_the_command(folder_with_copy, tmp_path):
    out = tmp_path / "case.mska"
    assert run("--threads", "1", "pack", folder_with_copy, "-o", out, "-q").returncode == 0
    assert run("info", out, "--threads", "2").returncode == 0
    bad = run("--threads", "0", "info", out)
    assert bad.returncode == 2 and "--threads" in bad.stderr


def test_a_copy_packed_from_a_folder_never_blocks_replace_or_remove(folder_with_copy, tmp_path):
    out = tmp_path / "dup.mska"
    assert run("pack", folder_with_copy, "-o", out, "-q").returncode == 0
    colon = nib_zyx(SAMPLE / "colon.nii.gz") != 0
    sacrum = nib_zyx(SAMPLE / "sacrum.nii.gz") != 0
    listed = run("info", out)
    assert "colon_copy" in listed.stdout
    with medmask.MaskArchive(out, "a") as archive:
        assert archive.structure("colon_copy").members == ["colon"]
        archive.replace("colon", sacrum)  # refused before format 1.3
        assert np.array_equal(archive["colon"], sacrum)
        assert np.array_equal(archive["colon_copy"], colon)
        archive.remove("colon")
    with medmask.MaskArchive(out) as archive:
        assert "colon" not in archive
        assert np.array_equal(archive["colon_copy"], colon)
