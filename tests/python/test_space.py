"""medmask.Space: construction, conversions and the (x, y, z) / (z, y, x) conventions."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import medmask

from conftest import corners


def rotation(angle_deg: float) -> np.ndarray:
    a = np.deg2rad(angle_deg)
    return np.array([[np.cos(a), -np.sin(a), 0.0], [np.sin(a), np.cos(a), 0.0], [0.0, 0.0, 1.0]])


def test_properties_keep_xyz_order():
    space = medmask.Space((4, 3, 2), (1.0, 2.0, 3.0), (0.5, 1.0, 2.0))
    assert space.shape == (4, 3, 2)
    assert space.shape_zyx == (2, 3, 4)
    assert space.origin == (1.0, 2.0, 3.0)
    assert space.spacing == (0.5, 1.0, 2.0)
    np.testing.assert_array_equal(space.direction, np.eye(3))
    assert space.voxel_volume_mm3 == pytest.approx(1.0)
    assert space.voxel_count == 24


def test_ijk_to_lps_follows_the_formula():
    direction = rotation(30.0)
    origin = np.array([-10.0, 20.0, 5.0])
    spacing = np.array([0.7, 0.8, 2.5])
    space = medmask.Space((10, 11, 12), origin, spacing, direction=direction)
    ijk = np.array([[0, 0, 0], [9, 10, 11], [3.5, 2.0, 7.25]])
    expected = origin + (direction @ np.diag(spacing) @ ijk.T).T  # lps = o + D S ijk
    np.testing.assert_allclose(space.ijk_to_lps(ijk), expected, atol=1e-9)
    np.testing.assert_allclose(space.ijk_to_lps(ijk[1]), expected[1], atol=1e-9)
    np.testing.assert_allclose(space.lps_to_ijk(expected), ijk, atol=1e-9)


def test_direction_accepts_nested_lists_and_arrays():
    columns = [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]]
    a = medmask.Space((2, 2, 2), (0, 0, 0), (1, 1, 1), direction=columns)
    b = medmask.Space((2, 2, 2), (0, 0, 0), (1, 1, 1), direction=np.array(columns))
    assert a == b
    np.testing.assert_array_equal(a.direction, np.array(columns))
    # Column 0 is the direction of the i axis.
    np.testing.assert_allclose(a.ijk_to_lps([1, 0, 0]), [0.0, 1.0, 0.0])


def test_affines_match_construction():
    direction = rotation(-18.0)
    space = medmask.Space((5, 6, 7), (1.0, -2.0, 3.0), (1.5, 1.5, 3.0), direction=direction)
    lps = np.eye(4)
    lps[:3, :3] = direction @ np.diag([1.5, 1.5, 3.0])
    lps[:3, 3] = [1.0, -2.0, 3.0]
    np.testing.assert_allclose(space.to_affine_lps(), lps, atol=1e-12)
    ras = np.diag([-1.0, -1.0, 1.0, 1.0]) @ lps
    np.testing.assert_allclose(space.to_affine_ras(), ras, atol=1e-12)
    assert medmask.Space.from_affine_ras(ras, (5, 6, 7)).is_close(space, 1e-9)
    assert medmask.Space.from_affine_lps(lps, (5, 6, 7)).is_close(space, 1e-9)


def test_equality_hash_pickle_and_repr():
    a = medmask.Space((3, 4, 5), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
    b = medmask.Space((3, 4, 5), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
    c = medmask.Space((3, 4, 5), (0.0, 0.0, 1e-6), (1.0, 1.0, 1.0))
    assert a == b and hash(a) == hash(b)
    assert a != c and a.is_close(c) and not a.is_close(c, tolerance_mm=1e-9)
    assert a != "not a space"
    assert pickle.loads(pickle.dumps(c)) == c
    assert "(3, 4, 5)" in repr(a)


def test_corners_map_within_tolerance_after_round_trip():
    space = medmask.Space((20, 30, 40), (5.0, 6.0, 7.0), (0.9, 0.9, 1.1), direction=rotation(45.0))
    c = corners(space.shape)
    np.testing.assert_allclose(space.lps_to_ijk(space.ijk_to_lps(c)), c, atol=1e-9)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(shape=(0, 1, 1), origin=(0, 0, 0), spacing=(1, 1, 1)),
        dict(shape=(1, 1, 1), origin=(0, 0, 0), spacing=(1, -1, 1)),
        dict(shape=(1, 1, 1), origin=(0, np.nan, 0), spacing=(1, 1, 1)),
        dict(shape=(1, 1, 1), origin=(0, 0, 0), spacing=(1, 1, 1), direction=np.ones((3, 3))),
        dict(shape=(1, 1), origin=(0, 0, 0), spacing=(1, 1, 1)),
        dict(shape=(1.5, 1, 1), origin=(0, 0, 0), spacing=(1, 1, 1)),
        dict(shape=(1, 1, 1), origin=(0, 0), spacing=(1, 1, 1)),
        dict(shape=(1, 1, 1), origin=(0, 0, 0), spacing=(1, 1, 1), direction=np.eye(2)),
    ],
)
def test_bad_arguments_raise_value_error(kwargs):
    with pytest.raises(ValueError):
        medmask.Space(**kwargs)


def test_bad_points_raise_value_error():
    space = medmask.Space((2, 2, 2), (0, 0, 0), (1, 1, 1))
    with pytest.raises(ValueError):
        space.ijk_to_lps([1.0, 2.0])
    with pytest.raises(ValueError):
        space.ijk_to_lps(np.zeros((4, 2)))
