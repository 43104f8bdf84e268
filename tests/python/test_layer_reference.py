"""Format 1.3: a structure lying on another (a second model's colon, drawn one voxel wider on a
few slices) goes to a second layer coded against the first; it reads back exactly, `entries()`
and `medmask info` name the reference, and it costs a fraction of the structure alone."""

from __future__ import annotations

import numpy as np
import pytest

import medmask

from cli_support import require_cli, run
from conftest import SAMPLE, nib_zyx

require_cli()


def wider_on_slices(mask: np.ndarray, slices: range) -> np.ndarray:
    """mask with its outer ring (4-connected, in-plane) added on the given slices."""
    out = mask.copy()
    for z in slices:
        plane = mask[z]
        ring = np.zeros_like(plane)
        ring[1:, :] |= plane[:-1, :]
        ring[:-1, :] |= plane[1:, :]
        ring[:, 1:] |= plane[:, :-1]
        ring[:, :-1] |= plane[:, 1:]
        out[z] |= ring
    return out


@pytest.mark.parametrize("own_layers", [False, True], ids=["shared", "layer_per_structure"])
def test_a_near_copy_is_coded_against_the_layer_it_lies_on(tmp_path, own_layers):
    space = medmask.Space.from_nifti(SAMPLE / "colon.nii.gz")
    colon = nib_zyx(SAMPLE / "colon.nii.gz") != 0
    sacrum = nib_zyx(SAMPLE / "sacrum.nii.gz") != 0
    middle = int(np.nonzero(colon.any(axis=(1, 2)))[0].mean())
    second = wider_on_slices(colon, range(middle, middle + 2))
    assert 0 < (second != colon).sum() < 0.02 * colon.sum()

    both = tmp_path / "both.mska"
    with medmask.MaskArchive(both, "w", space=space, layer_per_structure=own_layers) as archive:
        archive.add("colon", colon)
        archive.add("sacrum", sacrum)
        archive.add("colon_model2", second)
    alone = tmp_path / "alone.mska"
    with medmask.MaskArchive(alone, "w", space=space) as archive:
        archive.add("colon_model2", second)

    with medmask.MaskArchive(both, "r") as archive:
        np.testing.assert_array_equal(archive["colon_model2"], second)
        np.testing.assert_array_equal(archive["colon"], colon)
        np.testing.assert_array_equal(archive["sacrum"], sacrum)
        entries = archive.entries()
    # colon and sacrum share layer0, or have layers of their own; the copy follows in the last.
    expected = ["", "", "layer0"] if own_layers else ["", "layer0"]
    assert [e["reference"] for e in entries] == expected
    with medmask.MaskArchive(alone, "r") as archive:
        alone_bytes = archive.entries()[0]["stored_bytes"]
    assert entries[-1]["stored_bytes"] * 4 < alone_bytes, (entries[-1], alone_bytes)

    info = run("info", both)
    assert info.returncode == 0, info.stderr
    assert "coded against layer0" in info.stdout
