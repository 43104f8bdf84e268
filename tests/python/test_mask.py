"""medmask.SegmentationMask: dtypes, zero copy, label operations and error mapping."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import medmask
from medmask import _core

SPACE = medmask.Space((5, 4, 3), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))  # arrays are (3, 4, 5)
DTYPES = [np.bool_, np.uint8, np.uint16, np.uint32]


def labels_for(dtype, rng) -> tuple[np.ndarray, dict]:
    top = {np.bool_: 1, np.uint8: 255, np.uint16: 65535, np.uint32: 2**32 - 1}[dtype]
    values = [1] if top == 1 else [1, 7, top]
    array = rng.choice([0, *values], size=SPACE.shape_zyx).astype(dtype)
    return array, {f"s{v}": v for v in values}


@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip_every_dtype(dtype):
    rng = np.random.default_rng(1)
    array, mapping = labels_for(dtype, rng)
    mask = medmask.SegmentationMask(array, mapping, SPACE)
    assert mask.data.dtype == np.dtype(dtype)
    assert mask.data.shape == SPACE.shape_zyx
    np.testing.assert_array_equal(mask.data, array)
    assert mask.mapping == mapping
    assert mask.space == SPACE
    assert mask.dtype == np.dtype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_c_contiguous_input_is_not_copied(dtype):
    array, mapping = labels_for(dtype, np.random.default_rng(2))
    mask = medmask.SegmentationMask(array, mapping, SPACE)
    data = mask.data
    assert np.shares_memory(data, array)
    assert np.shares_memory(mask.data, data)
    assert not data.flags.writeable  # documented: .data is a read-only view
    array[0, 0, 0] = 1
    array[0, 0, 1] = 0
    assert data[0, 0, 0] == 1 and data[0, 0, 1] == 0  # the source's edits are visible


def test_data_outlives_mask_and_source():
    array = np.zeros(SPACE.shape_zyx, np.uint16)
    array[1, 2, 3] = 300
    mask = medmask.SegmentationMask(array, {"a": 300}, SPACE)
    data = mask.data
    del mask, array
    gc.collect()
    assert data[1, 2, 3] == 300 and int(data.sum()) == 300


def test_other_layouts_and_dtypes_are_copied_and_checked():
    base = np.zeros(SPACE.shape_zyx, np.uint8)
    base[0, 1, 2] = 3
    # Fortran order: copied, dtype kept.
    f_order = np.asfortranarray(base)
    mask = medmask.SegmentationMask(f_order, {"a": 3}, SPACE)
    assert not np.shares_memory(mask.data, f_order)
    assert mask.data.dtype == np.uint8
    np.testing.assert_array_equal(mask.data, base)
    # int64 with small values: smallest unsigned dtype holding the maximum.
    mask = medmask.SegmentationMask(base.astype(np.int64), {"a": 3}, SPACE)
    assert mask.data.dtype == np.uint8
    np.testing.assert_array_equal(mask.data, base)
    big = base.astype(np.int64)
    big[2, 3, 4] = 70000
    mask = medmask.SegmentationMask(big, {"a": 3, "b": 70000}, SPACE)
    assert mask.data.dtype == np.uint32
    np.testing.assert_array_equal(mask.data, big)
    # Nested lists work too.
    mask = medmask.SegmentationMask(base.tolist(), {"a": 3}, SPACE)
    np.testing.assert_array_equal(mask.data, base)


@pytest.mark.parametrize(
    "array",
    [
        -np.ones((3, 4, 5), np.int16),
        np.full((3, 4, 5), 2**32, np.int64),
        np.zeros((3, 4, 5), np.float32),
        np.zeros((4, 5), np.uint8),
        np.zeros((3, 4, 6), np.uint8),  # shape differs from the space
    ],
)
def test_bad_arrays_raise_value_error(array):
    with pytest.raises(ValueError):
        medmask.SegmentationMask(array, {}, SPACE)


def test_bool_bytes_other_than_0_1_are_rejected():
    raw = np.zeros(SPACE.shape_zyx, np.uint8)
    raw[0, 0, 0] = 2
    with pytest.raises(ValueError):
        medmask.SegmentationMask(raw.view(np.bool_), {"a": 1}, SPACE)


def test_bad_mappings_raise_value_error():
    array = np.zeros(SPACE.shape_zyx, np.uint8)
    for mapping in ({"a": 0}, {"a": 256}, {"a": -1}, {"": 1}, {"a": 1, "b": 1}, {1: 1}):
        with pytest.raises(ValueError):
            medmask.SegmentationMask(array, mapping, SPACE)


def test_lazy_init_add_label_and_queries():
    a = np.zeros(SPACE.shape_zyx, bool)
    a[0, 1:3, 1:4] = True
    b = np.zeros(SPACE.shape_zyx, np.uint8)
    b[2, 0, 0] = 5  # any non-zero value is "inside"
    mask = medmask.SegmentationMask.lazy_init(16, SPACE)
    assert mask.data.dtype == np.uint16 and not mask.data.any()
    mask.add_label(a, 10, "a")
    mask.add_label(b, 20, "b")
    assert mask.mapping == {"a": 10, "b": 20}
    expected = np.where(a, 10, 0) + np.where(b != 0, 20, 0)
    np.testing.assert_array_equal(mask.data, expected)
    np.testing.assert_array_equal(mask.get_binary_mask_by_names("a"), a)
    np.testing.assert_array_equal(mask.get_binary_mask_by_names(["a", "b"]), a | (b != 0))
    np.testing.assert_array_equal(mask.get_binary_mask_by_labels(20), b != 0)
    np.testing.assert_array_equal(mask.get_binary_mask_by_labels([10, 20]), a | (b != 0))
    assert mask.get_binary_mask_by_labels([10]).dtype == np.bool_
    stats = mask.label_stats()
    assert stats[10] == {"voxels": 6, "bbox_min_zyx": (0, 1, 1), "bbox_max_zyx": (0, 2, 3)}
    assert stats[20] == {"voxels": 1, "bbox_min_zyx": (2, 0, 0), "bbox_max_zyx": (2, 0, 0)}
    with pytest.raises(KeyError):
        mask.get_binary_mask_by_names("missing")
    with pytest.raises(ValueError):  # duplicate name
        mask.add_label(np.zeros_like(a), 31, "a")
    assert mask.mapping == {"a": 10, "b": 20}


def test_add_label_over_earlier_labels_wins_there_and_warns():
    """medmask 0.1.x semantics: the later label wins; a MedMaskWarning names both and the count."""
    mask = medmask.SegmentationMask.lazy_init(8, SPACE)
    a = np.zeros(SPACE.shape_zyx, bool)
    a[0, 1:3, 1:4] = True  # 6 voxels
    b = np.zeros(SPACE.shape_zyx, bool)
    b[0, 2, :] = True  # shares (0, 2, 1..3) with a: 3 voxels
    mask.add_label(a, 1, "a")
    with pytest.warns(
        medmask.MedMaskWarning, match=r"'b' \(value 2\) painted over 3 voxels of 'a'"
    ):
        mask.add_label(b, 2, "b")
    assert issubclass(medmask.MedMaskWarning, UserWarning)
    np.testing.assert_array_equal(mask.data, np.where(b, 2, np.where(a, 1, 0)))
    assert mask.mapping == {"a": 1, "b": 2}


def test_add_label_paints_a_borrowed_writable_array():
    array = np.zeros(SPACE.shape_zyx, np.uint8)
    mask = medmask.SegmentationMask(array, {}, SPACE)
    inside = np.zeros(SPACE.shape_zyx, bool)
    inside[1, 1, 1] = True
    mask.add_label(inside, 4, "x")
    assert array[1, 1, 1] == 4  # documented: the mask shares memory with its source


def test_add_label_copies_a_read_only_source():
    array = np.zeros(SPACE.shape_zyx, np.uint8)
    array.flags.writeable = False
    mask = medmask.SegmentationMask(array, {}, SPACE)
    inside = np.zeros(SPACE.shape_zyx, bool)
    inside[1, 1, 1] = True
    mask.add_label(inside, 4, "x")
    assert array[1, 1, 1] == 0
    assert mask.data[1, 1, 1] == 4


@pytest.mark.parametrize(
    ("code", "exception"),
    [
        (1, medmask.FormatError),
        (2, medmask.UnsupportedError),
        (3, medmask.LimitError),
        (4, ValueError),
        (5, KeyError),
        (6, OSError),
    ],
)
def test_error_codes_map_to_python_exceptions(code, exception):
    with pytest.raises(exception) as info:
        _core._raise_error(code, "case.mska: field at byte 12: problem")
    assert "case.mska: field at byte 12: problem" in str(info.value)


def test_file_data_errors_are_value_errors():
    for cls in (medmask.FormatError, medmask.UnsupportedError, medmask.LimitError):
        assert issubclass(cls, ValueError)
    assert not issubclass(medmask.FormatError, medmask.LimitError)
