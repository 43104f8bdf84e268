"""medmask 0.1.x drop-in: module layout, both spellings, dir(), error attributes."""

from __future__ import annotations

import numpy as np
import pytest

import medmask

SPACE = medmask.Space((5, 4, 3), (1.0, -2.0, 3.5), (0.8, 0.9, 2.0))  # arrays are (3, 4, 5)


def test_dir_shows_only_the_public_api():
    names = set(dir(medmask))
    assert not names & {"os", "Union", "annotations", "PathLike", "_core"}
    for name in (
        "SegmentationMask",
        "MaskArchive",
        "LabelMapping",
        "MaskFile",
        "MedMaskWarning",
        "match_allowed_values",
        "save_mask",
        "load_mask",
        "__version__",
    ):
        assert name in names


def test_module_layout_of_0_1_3():
    from medmask.core.mapping import LabelMapping
    from medmask.core.segmask import SegmentationMask
    from medmask.storage import MaskArchive, MaskFile, load_mask, save_mask
    from medmask.utils import match_allowed_values

    assert issubclass(SegmentationMask, medmask.SegmentationMask)
    assert issubclass(MaskArchive, medmask.MaskArchive)
    assert medmask.LabelMapping is LabelMapping and medmask.MaskFile is MaskFile
    assert callable(load_mask) and callable(save_mask)
    data = np.array([[[0, 1, 2, 3, 5, 7]]], np.uint8)
    np.testing.assert_array_equal(match_allowed_values(data, [1, 2, 5]), np.isin(data, [1, 2, 5]))
    flat = np.arange(10, dtype=np.int16)  # not a 3-D label array: any shape and dtype work
    np.testing.assert_array_equal(match_allowed_values(flat, [0, 4]), np.isin(flat, [0, 4]))


def test_label_mapping_is_a_dict_with_a_reverse_lookup():
    mapping = medmask.LabelMapping({"liver": 1, "spleen": 2})
    assert mapping == {"liver": 1, "spleen": 2} and mapping.liver == 1
    assert mapping.inverse(2) == "spleen" and mapping.has_label(1) and not mapping.has_label(3)
    with pytest.raises(ValueError):
        mapping["kidney"] = 1  # value of another name
    with pytest.raises(AttributeError):
        _ = mapping.kidney
    assert medmask.LabelMapping.from_json(mapping.to_json()) == mapping


def test_both_spellings_on_the_archive_and_the_mask(tmp_path):
    array = np.zeros(SPACE.shape_zyx, np.uint8)
    array[0, :2] = 1
    array[2] = 2
    mask = medmask.SegmentationMask(array, {"a": 1, "b": 2}, SPACE)
    np.testing.assert_array_equal(mask.get_mask_by_names("b"), array == 2)
    np.testing.assert_array_equal(mask.get_binary_mask_by_names(["a", "b"]), array != 0)
    np.testing.assert_array_equal(mask.get_all_masks(), array)
    archive = medmask.MaskArchive(tmp_path / "a.mska", mode="w", space=SPACE)
    archive.add_mask(mask, "first")  # the notebook's spelling
    other = medmask.SegmentationMask((array == 1).astype(np.uint8), {"c": 1}, SPACE)
    archive.add_segmask(other, "second")  # 0.1.3's spelling
    read = medmask.MaskArchive(tmp_path / "a.mska", mode="r")
    assert read.all_names() == ["first", "second"]
    np.testing.assert_array_equal(read.load_mask("first").get_all_masks(), array)
    np.testing.assert_array_equal(read.load_segmask("second").data, array == 1)
    assert set(read.read_all_masks()) == {"first", "second"}


def test_0_1_3_flavour_keeps_its_conventions(tmp_path):
    from medmask.core.segmask import SegmentationMask
    from medmask.storage import MaskArchive

    space = SPACE.reverse_axis_order()  # 0.1.x: the Space in the array's (z, y, x) order
    array = np.zeros(space.shape, np.uint8)
    array[1, 1, 1] = 1
    mask = SegmentationMask(array, {"background": 0, "dot": 1}, space)
    assert mask.space.shape == array.shape and mask.mapping == {"background": 0, "dot": 1}
    assert mask.mapping.inverse(1) == "dot"
    with pytest.raises(AssertionError):  # 0.1.x raised AssertionError on a shape mismatch
        SegmentationMask(np.zeros((2, 2, 2), np.uint8), {}, space)
    with MaskArchive(tmp_path / "b.mska", mode="w", space=space) as archive:
        archive.add_segmask(mask, "m")
    loaded = MaskArchive(tmp_path / "b.mska").load_segmask("m")
    assert isinstance(loaded, SegmentationMask)
    assert tuple(loaded.space.shape) == array.shape
    np.testing.assert_array_equal(loaded.data, array)


def test_exceptions_keep_code_path_and_offset(tmp_path):
    bad = tmp_path / "bad.mska"
    bad.write_bytes(b"not a medmask archive at all, just some bytes" * 4)
    with pytest.raises(medmask.FormatError) as info:
        medmask.MaskArchive(bad)
    assert info.value.code == 1 and info.value.path == str(bad)
    assert info.value.offset is None or isinstance(info.value.offset, int)
    with pytest.raises(OSError) as missing:
        medmask.load_mask(tmp_path / "missing.mska")
    assert missing.value.code == 6 and missing.value.offset is None


def test_entries_are_namespaces_for_repeated_names(tmp_path):
    liver = np.zeros(SPACE.shape_zyx, np.uint8)
    liver[0] = 1
    both = liver.copy()
    both[2] = 2
    path = tmp_path / "ns.mska"
    archive = medmask.MaskArchive(path, mode="w", space=SPACE)
    archive.add_segmask(medmask.SegmentationMask(liver, {"liver": 1}, SPACE), "liver")
    archive.add_segmask(medmask.SegmentationMask(both, {"liver": 1, "spleen": 2}, SPACE), "both")
    read = medmask.MaskArchive(path)
    again = read.load_segmask("both")
    assert again.mapping == {"liver": 1, "spleen": 2}
    np.testing.assert_array_equal(again.data, both)
    assert read.load_segmask("liver").mapping == {"liver": 1}
    assert read.read_all_mapping() == {"liver": {"liver": 1}, "both": {"liver": 1, "spleen": 2}}
    np.testing.assert_array_equal(read["both/liver"], both == 1)  # the qualified names
    np.testing.assert_array_equal(read["liver/liver"], liver == 1)
    np.testing.assert_array_equal(read["spleen"], both == 2)  # unique: the plain name answers
    with pytest.raises(KeyError, match=r"'liver' is ambiguous.*'liver/liver', 'both/liver'"):
        read["liver"]
    assert "liver" in read and "liver/liver" in read and "other/liver" not in read
    assert read.structure("liver/liver").name == "liver"


def test_get_mask_by_names_of_a_loaded_mask_matches_numpy(tmp_path):
    """A loaded mask answers from each structure's bounding box; the result is the full grid."""
    rng = np.random.default_rng(3)
    array = np.zeros(SPACE.shape_zyx, np.uint16)
    array[1:3, 1:3, 2:5] = 7
    array[0, 0, 0] = 300
    array[rng.random(array.shape) < 0.1] = 9
    mask = medmask.SegmentationMask(array, {"a": 7, "b": 300, "c": 9, "gone": 11}, SPACE)
    mask.save(tmp_path / "m.mska")
    loaded = medmask.load_mask(tmp_path / "m.mska")
    for names in ("a", "b", "c", "gone", ["a", "b"], ["b", "c", "gone"]):
        values = [loaded.mapping[n] for n in ([names] if isinstance(names, str) else names)]
        np.testing.assert_array_equal(loaded.get_mask_by_names(names), np.isin(array, values))
    loaded.add_label(array == 0, 12, "background")  # boxes change after add_label
    np.testing.assert_array_equal(loaded.get_binary_mask_by_names("background"), array == 0)


def test_fortran_order_arrays_as_nibabel_returns_them():
    """add_label reads a Fortran-order array through its transpose (no copy); the result, the
    overlap warning included, equals that of the same array in C order."""
    rng = np.random.default_rng(5)
    arrays = [rng.random(SPACE.shape_zyx) < p for p in (0.2, 0.5, 0.05)]
    results = []
    for order in ("C", "F"):
        mask = medmask.SegmentationMask.lazy_init(8, SPACE)
        with pytest.warns(medmask.MedMaskWarning) as caught:
            for value, array in enumerate(arrays, start=1):
                laid_out = np.asarray(array, order=order)
                assert laid_out.flags.f_contiguous == (order == "F")
                mask.add_label(laid_out, value, f"s{value}")
        results.append((mask.data.copy(), [str(w.message) for w in caught]))
        uint8 = np.asarray(arrays[0].astype(np.uint8) * 3, order=order)
        np.testing.assert_array_equal(medmask.SegmentationMask(uint8, {"a": 3}, SPACE).data, uint8)
    expected = np.zeros(SPACE.shape_zyx, np.uint8)
    for value, array in enumerate(arrays, start=1):
        expected[array] = value
    np.testing.assert_array_equal(results[0][0], expected)
    np.testing.assert_array_equal(results[1][0], expected)
    assert results[0][1] == results[1][1]
