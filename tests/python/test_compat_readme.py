"""The usage examples of the original medmask 0.1.3 README run unchanged on this package.

Provenance: the two ```python blocks under "Usage" of the README of medmask 0.1.3 as published
on PyPI (the long description, medmask-0.1.3.dist-info/METADATA lines 64-86 and 92-108 of
medmask-0.1.3-py3-none-any.whl, sha256 d7492fea07ce269e9e238bb4ea5f2fc86ed488112443caa507873e4d7daf1fec),
copied byte for byte; the test checks their sha256 so that no edit goes unnoticed.

The README leaves some names to the reader (spleen_data, liver_mask, heart_mask, the module
medmask in the second block) and imports Space from spacetransformer, the package medmask 0.1.x
depended on. The test defines those names and provides a spacetransformer module: either
medmask.Space under that name (the documented migration: medmask.Space takes the same
arguments) or a stand-in with spacetransformer.Space's fields, as a user with spacetransformer
installed would pass.
"""

from __future__ import annotations

import hashlib
import sys
import types

import numpy as np
import pytest

import medmask

from conftest import SpacetransformerSpace

BASICS = """import numpy as np
from medmask import SegmentationMask, MaskArchive, save_mask, load_mask
from spacetransformer import Space

# Create spatial information 
space = Space(shape=(64, 192, 192), spacing=(2.5, 1.0, 1.0))

# -----------------------------
# Create mask – two approaches
# -----------------------------
# 1. Complete initialization
liver_data = np.zeros((64, 192, 192), dtype=np.uint8)  # (Z,Y,X)
liver_data[20:40, 50:150, 60:140] = 1
mask = SegmentationMask(liver_data, {"liver": 1}, space=space)

# 2. Lazy loading (multiple organs)
combined_mask = SegmentationMask.lazy_init(bit_depth=8, space=space)
combined_mask.add_label(liver_data > 0, label=1, name="liver")
combined_mask.add_label(spleen_data > 0, label=2, name="spleen")

# Query masks
liver_region = mask.get_binary_mask_by_names("liver")
multiple_organs = combined_mask.get_binary_mask_by_names(["liver", "spleen"])
"""

FILES = """# Single mask files (.msk)
medmask.save_mask(mask, "liver.msk")
loaded_mask = medmask.load_mask("liver.msk")

# Equivalent
mask.save('liver.msk')
loaded_mask = SegmentationMask.load('liver.msk')

# Multi-mask archives (.mska) - for collections
archive = MaskArchive("organs.mska", mode="w", space=space)
archive.add_segmask(liver_mask, "liver")
archive.add_segmask(heart_mask, "heart")

# Read from archive
archive = MaskArchive("organs.mska", mode="r")
liver = archive.load_segmask("liver")
all_names = archive.all_names()
"""

BASICS_SHA256 = "e58360fc98045ddb41ee306bedf6dfb6584a209cae96a20f0b2ec660ce8b5c9c"
FILES_SHA256 = "5965a402a2c4376c11f858dcd7165941c8ed18ed87e95b3c98b6e90cb42ddf98"


def test_snippets_are_the_published_text():
    assert hashlib.sha256(BASICS.encode()).hexdigest() == BASICS_SHA256
    assert hashlib.sha256(FILES.encode()).hexdigest() == FILES_SHA256


@pytest.mark.parametrize(
    "space_class",
    [medmask.Space, SpacetransformerSpace],
    ids=["medmask.Space", "spacetransformer-like"],
)
def test_readme_examples_run_unchanged(tmp_path, monkeypatch, space_class):
    monkeypatch.chdir(tmp_path)
    fake = types.ModuleType("spacetransformer")
    fake.Space = space_class
    monkeypatch.setitem(sys.modules, "spacetransformer", fake)

    # The names the README leaves to the reader, on the README's (z, y, x) grid.
    spleen_data = np.zeros((64, 192, 192), np.uint8)
    spleen_data[45:50, 100:120, 10:30] = 1
    heart_data = np.zeros((64, 192, 192), np.uint8)
    heart_data[50:60, 60:90, 60:90] = 1
    scope: dict = {"medmask": medmask, "spleen_data": spleen_data}
    exec(compile(BASICS, "README-0.1.3-basics", "exec"), scope)
    liver_data = scope["liver_data"]
    scope["liver_mask"] = scope["mask"]
    scope["heart_mask"] = medmask.SegmentationMask(heart_data, {"heart": 1}, scope["space"])
    exec(compile(FILES, "README-0.1.3-files", "exec"), scope)

    # What 0.1.3 gives for the same code: arrays as passed, (z, y, x).
    liver = liver_data == 1
    np.testing.assert_array_equal(scope["liver_region"], liver)
    np.testing.assert_array_equal(scope["multiple_organs"], liver | (spleen_data == 1))
    assert scope["combined_mask"].mapping == {"liver": 1, "spleen": 2}
    np.testing.assert_array_equal(scope["combined_mask"].data, liver_data + 2 * spleen_data)
    loaded = scope["loaded_mask"]
    np.testing.assert_array_equal(loaded.data, liver_data)
    assert loaded.mapping == {"liver": 1}
    assert scope["all_names"] == ["liver", "heart"]
    np.testing.assert_array_equal(scope["liver"].data, liver_data)
    np.testing.assert_array_equal(scope["archive"].load_segmask("heart").data, heart_data)

    # The grid: 64 slices of 2.5 mm along the array's first axis, as the README declares.
    space = loaded.space
    assert space.shape_zyx == (64, 192, 192)
    assert space.spacing == (1.0, 1.0, 2.5)
    assert scope["archive"].space == space
    # Voxel [z, y, x] lies at z * 2.5 * x_orientation(0.1.x) + y * y_orientation + x * z_orientation.
    np.testing.assert_allclose(space.ijk_to_lps([3, 2, 1]), [2.5, 2.0, 3.0])
