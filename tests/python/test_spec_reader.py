"""A second .mska reader, written only from the tables of docs/FORMAT.md, reads the test vectors.

It uses no MedMask code (numpy, xxhash and zstandard only), so a disagreement between the spec and
the files the C++ writer makes fails here. Expected content: tiny.mska as PROVENANCE.md lists it,
the groups_* files from groups_expected.json (written by make_groups_mska.cpp from the boxes it
painted, never from reading the files back). "medmask-cm1" and "medmask-cm1-tiles" voxels are not
decoded (Appendix A is too long for this); their chunk and tile tables, checksums and stream
headers are checked.
"""

import json
import math
import struct
from pathlib import Path

import numpy as np
import pytest
import xxhash
import zstandard

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"
MAGIC = b"\x89MSK\r\n\x1a\n"
DICTIONARY = Path(__file__).resolve().parents[2] / "docs" / "index_dictionary_v1.txt"
DTYPES = {
    "bool": ("u1", 1, 1),
    "uint8": ("u1", 1, 255),
    "uint16": ("<u2", 2, 65535),
    "uint32": ("<u4", 4, 4294967295),
}  # numpy type, size, max value (FORMAT.md 4.3, 4.4)


def is_int(v, low, high):
    return type(v) is int and low <= v <= high  # "integer": no bool, no 2.0


def xxh3(data):
    return xxhash.xxh3_64_intdigest(bytes(data))


def zstd_frame(data, content_size, dictionary=None):
    """FORMAT.md 4 / 5.1: one frame spanning the section, content size present and as declared;
    the index of a file with feature bit 1 uses the raw-content dictionary of Appendix B."""
    params = zstandard.get_frame_parameters(bytes(data))
    assert params.content_size == content_size
    assert params.window_size <= 2**27
    if dictionary is not None:
        dictionary = zstandard.ZstdCompressionDict(
            dictionary, dict_type=zstandard.DICT_TYPE_RAWCONTENT
        )
        return zstandard.ZstdDecompressor(dict_data=dictionary).decompress(
            bytes(data), allow_extra_data=False
        )
    return zstandard.ZstdDecompressor().decompress(bytes(data), allow_extra_data=False)


def read_varints(data, pos, count):
    """count unsigned LEB128 varints (FORMAT.md A.2) from pos: (values, position after them)."""
    values = []
    for _ in range(count):
        value, shift = 0, 0
        while True:
            assert shift < 70, "varint longer than 10 bytes"
            value |= (data[pos] & 0x7F) << shift
            pos, shift = pos + 1, shift + 7
            if not data[pos - 1] & 0x80:
                break
        values.append(value)
    return values, pos


def check_cm1_section(entry, section, shape_xyz):
    """FORMAT.md 4.3.1 chunk table and A.2 stream headers of one "medmask-cm1" section."""
    nx, ny, nz = shape_xyz
    depth = entry["chunk_depth"]
    assert is_int(depth, 1, 2**31 - 1)
    chunks = entry["chunks"]
    assert len(chunks) == math.ceil(nz / depth)
    expected_offset, width = 0, DTYPES[entry["dtype"]][1]
    for k, chunk in enumerate(chunks):
        assert chunk["offset"] == expected_offset, f"chunk {k} not contiguous"
        assert is_int(chunk["length"], 1, entry["length"] - chunk["offset"])
        data = section[chunk["offset"] : chunk["offset"] + chunk["length"]]
        assert xxh3(data) == int(chunk["xxh3"], 16), f"chunk {k} checksum"
        chunk_nz = min(nz, (k + 1) * depth) - k * depth
        check_stream_header(data, width, (nx, ny, chunk_nz), f"chunk {k}")
        expected_offset += chunk["length"]
    assert expected_offset == entry["length"], "chunks must cover the section"


def check_stream_header(data, width, dims, what, predicted=False):
    """FORMAT.md A.2: one chunk stream of the given (nx, ny, nz), nothing after it; modes 3 and 5
    only in a layer with a reference (predicted); modes 4 and 6 name one label that fits the
    width, below level max."""
    nx, ny, nz = dims
    version, mode, level, stream_width = data[0], data[1], data[2], data[3]
    modes = (0, 1, 2, 3, 4, 5, 6) if predicted else (0, 1, 2, 4, 6)
    assert (version, stream_width) == (2, width) and mode in modes and level in (0, 1, 2)
    found, pos = read_varints(data, 4, 3)
    assert found == [nx, ny, nz], f"{what} dims {found}, expected {[nx, ny, nz]}"
    if mode == 1:
        pos += nx * ny * nz * width
    elif mode in (2, 3, 4, 5, 6):
        (x0, y0, z0, wx, wy, wz), pos = read_varints(data, pos, 6)
        assert min(wx, wy, wz) >= 1 and x0 + wx <= nx and y0 + wy <= ny and z0 + wz <= nz
        if mode in (4, 6):
            (label,), pos = read_varints(data, pos, 1)
            assert 1 <= label < 2 ** (8 * width) and level != 2, (
                f"{what}: mode {mode} label {label}"
            )
        (payload,), pos = read_varints(data, pos, 1)
        pos += payload
    assert pos == len(data), f"{what}: stream of {pos} bytes in {len(data)}"


def check_reference(entry, earlier, features):
    """FORMAT.md 4.3.3: a layer's reference names an earlier layer of the same tiles, coded
    alone, and maps its values one to one at most."""
    assert features & 4 and entry["kind"] == "layer"
    reference = entry["reference"]
    (ref,) = [e for e in earlier if e["name"] == reference["entry"]]
    assert ref["kind"] == "layer" and ref["coding"] == "medmask-cm1-tiles"
    assert "reference" not in ref
    assert (ref["chunk_depth"], ref["tile_yx"]) == (entry["chunk_depth"], entry["tile_yx"])
    sources = [a for a, _ in reference["map"]]
    assert len(set(sources)) == len(sources)
    for a, b in reference["map"]:
        assert is_int(a, 1, DTYPES[ref["dtype"]][2]) and is_int(b, 1, DTYPES[entry["dtype"]][2])


def check_tiles_section(entry, section, shape_xyz):
    """FORMAT.md 4.3.2 tile table and A.2 stream headers of one "medmask-cm1-tiles" section."""
    nx, ny, nz = shape_xyz
    depth, (tile_y, tile_x) = entry["chunk_depth"], entry["tile_yx"]
    assert all(is_int(v, 1, 2**31 - 1) for v in (depth, tile_y, tile_x))
    counts = (math.ceil(nz / depth), math.ceil(ny / tile_y), math.ceil(nx / tile_x))
    tiles = entry["tiles"]
    assert len(tiles) == math.prod(counts)
    offset, width = 0, DTYPES[entry["dtype"]][1]
    for k, tile in enumerate(tiles):
        if tile == 0 and type(tile) is int:
            continue  # empty: no bytes, every voxel 0
        length, digest = tile
        assert is_int(length, 1, entry["length"] - offset) and len(digest) == 16
        data = section[offset : offset + length]
        assert xxh3(data) == int(digest, 16), f"tile {k} checksum"
        kz, ky, kx = k // (counts[1] * counts[2]), k // counts[2] % counts[1], k % counts[2]
        dims = (
            min(nx, (kx + 1) * tile_x) - kx * tile_x,
            min(ny, (ky + 1) * tile_y) - ky * tile_y,
            min(nz, (kz + 1) * depth) - kz * depth,
        )
        check_stream_header(data, width, dims, f"tile {k}", "reference" in entry)
        offset += length
    assert offset == entry["length"], "stored tiles must cover the section"


def stats_of(mask):
    zyx = np.argwhere(mask)
    if len(zyx) == 0:
        return {"voxels": 0}
    return {
        "voxels": len(zyx),
        "bbox_min_zyx": zyx.min(axis=0).tolist(),
        "bbox_max_zyx": zyx.max(axis=0).tolist(),
    }


def read_mska(path):
    """Checks a file against FORMAT.md 3-5 and resolves its structures (10.2) and groups (4.6)."""
    data = path.read_bytes()
    assert data[:8] == MAGIC
    (
        major,
        minor,
        features,
        index_offset,
        index_length,
        raw_length,
        file_length,
        index_sum,
        header_sum,
    ) = struct.unpack_from("<HHIQQQQQQ", data, 8)
    assert major == 1
    assert xxh3(data[:56]) == header_sum
    assert features & ~7 == 0, "unknown required feature"
    assert 64 <= file_length <= len(data)
    assert 64 <= index_offset <= file_length and index_length >= 1
    assert index_offset + index_length <= file_length
    index_bytes = data[index_offset : index_offset + index_length]
    assert xxh3(index_bytes) == index_sum
    dictionary = DICTIONARY.read_bytes() if features & 2 else None
    index = json.loads(zstd_frame(index_bytes, raw_length, dictionary).decode("utf-8"))
    assert index["format"] == "mska" and index["version"] == [major, minor]

    space = index["space"]
    shape = space["shape_xyz"]
    assert len(shape) == 3 and all(is_int(v, 1, 2**31 - 1) for v in shape)
    assert all(v > 0 for v in space["spacing_mm"])
    columns = np.array(space["direction_columns"], dtype=float)
    assert np.abs(columns @ columns.T - np.eye(3)).max() <= 1e-3  # FORMAT.md 4.2
    shape_zyx = tuple(reversed(shape))

    volumes, parts = {}, {}  # parts: structure name -> [(entry number, label)]
    for n, entry in enumerate(index["entries"]):
        assert entry["name"] and entry["name"] not in volumes
        assert entry["kind"] in ("mask", "layer")
        numpy_type, size, max_value = DTYPES[entry["dtype"]]
        assert is_int(entry["offset"], 64, file_length)
        assert is_int(entry["length"], 1, file_length - entry["offset"])
        assert entry["raw_length"] == math.prod(shape) * size
        section = data[entry["offset"] : entry["offset"] + entry["length"]]
        assert len(entry["xxh3"]) == 16 and xxh3(section) == int(entry["xxh3"], 16)
        values, previous = set(), 0
        for label in entry["labels"]:
            label.setdefault("value", previous + 1)  # 4.4: an absent value follows the previous
            previous = label["value"]
            assert label["name"] and is_int(label["value"], 1, max_value)
            assert label["value"] not in values
            values.add(label["value"])
            if label["name"] in parts:  # a split structure: only layers, once per entry
                assert features & 1 and entry["kind"] == "layer"
                assert all(index["entries"][m]["kind"] == "layer" for m, _ in parts[label["name"]])
                assert n not in [m for m, _ in parts[label["name"]]]
            parts.setdefault(label["name"], []).append((n, label))
        for key, item in entry["stats"].items():
            assert key == str(int(key)) and is_int(int(key), 1, max_value)
            assert is_int(item["voxels"], 1, math.prod(shape))
            assert all(
                0 <= a <= b < e
                for a, b, e in zip(item["bbox_min_zyx"], item["bbox_max_zyx"], shape_zyx)
            )
        if entry["coding"] == "zstd":
            raw = zstd_frame(section, entry["raw_length"])
            volume = np.frombuffer(raw, dtype=numpy_type).reshape(shape_zyx)
            if entry["dtype"] == "bool":
                assert volume.max(initial=0) <= 1, "bool byte other than 0 and 1"
            found = {str(v): stats_of(volume == v) for v in np.unique(volume) if v != 0}
            assert found == entry["stats"], f"{entry['name']}: stats differ from the voxels"
            volumes[entry["name"]] = volume
        elif entry["coding"] == "medmask-cm1-tiles":
            if "reference" in entry:
                check_reference(entry, index["entries"][:n], features)
            check_tiles_section(entry, section, shape)
            volumes[entry["name"]] = None
        else:
            assert entry["coding"] == "medmask-cm1"
            check_cm1_section(entry, section, shape)
            volumes[entry["name"]] = None
    assert bool(features & 1) == any(len(p) > 1 for p in parts.values())
    order = index.get("structure_order", list(parts))
    assert sorted(order) == sorted(parts) and len(set(order)) == len(order)

    groups = {}
    for group in index.get("groups", []):
        assert group["name"] and group["name"] not in parts and group["name"] not in groups
        groups[group["name"]] = group
    for group in groups.values():
        assert group["members"] and all(m in parts or m in groups for m in group["members"])

    def expand(name, path=()):
        assert name not in path, f"group {name} contains itself"
        if name in parts:
            return [name]
        return [s for m in groups[name]["members"] for s in expand(m, path + (name,))]

    def mask(name):
        out = np.zeros(shape_zyx, dtype=bool)
        for structure in expand(name):
            for n, label in parts[structure]:
                out |= volumes[index["entries"][n]["name"]] == label["value"]
        return out

    for name in groups:
        expand(name)  # FORMAT.md 4.6: a cycle is an error even in a group nobody reads
    return {
        "index": index,
        "features": features,
        "parts": parts,
        "order": order,
        "groups": groups,
        "expand": expand,
        "mask": mask,
        "volumes": volumes,
    }


def test_tiny_1_0_file_matches_provenance():
    archive = read_mska(GOLDEN / "tiny.mska")
    index = archive["index"]
    assert index["version"] == [1, 0] and archive["features"] == 0
    assert index["space"] == {
        "shape_xyz": [4, 3, 2],
        "origin_lps": [-10.5, 20.25, 3.0],
        "spacing_mm": [0.5, 0.75, 2.0],
        "direction_columns": [[0, 1, 0], [-1, 0, 0], [0, 0, 1]],
    }
    organs = [
        [[0, 1, 1, 0], [0, 1, 2, 2], [0, 0, 2, 0]],
        [[0, 0, 0, 0], [3, 0, 0, 0], [3, 3, 0, 0]],
    ]
    layer0 = np.zeros((2, 3, 4))
    layer0[0, 0, 0] = layer0[1, 2, 3] = 300
    flags = [[[1, 1, 1, 1], [1, 1, 1, 1], [0, 0, 0, 0]], [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]]]
    ids = np.zeros((2, 3, 4))
    ids[1, 1, 1:3] = 70000
    expected = {
        "organs": ("uint8", organs),
        "layer0": ("uint16", layer0),
        "flags": ("bool", flags),
        "ids": ("uint32", ids),
    }
    for entry in index["entries"]:
        assert entry["dtype"] == expected[entry["name"]][0]
        np.testing.assert_array_equal(archive["volumes"][entry["name"]], expected[entry["name"]][1])
    assert archive["order"] == [
        "liver",
        "spleen",
        "tumor",
        "body",
        "stomach",
        "empty_structure",
        "big_id",
    ]
    liver = archive["parts"]["liver"][0][1]
    assert liver["color"] == [221, 130, 101]
    assert liver["concept"] == {"scheme": "SCT", "code": "10200004", "meaning": "Liver"}
    assert archive["parts"]["spleen"][0][1]["description"] == "the spleen"
    assert archive["mask"]("empty_structure").sum() == 0 and archive["mask"]("tumor").sum() == 2


def boxes_mask(boxes, shape_zyx):
    out = np.zeros(shape_zyx, dtype=bool)
    for z0, y0, x0, z1, y1, x1 in boxes:
        out[z0 : z1 + 1, y0 : y1 + 1, x0 : x1 + 1] = True
    return out


def label_of(item):  # FORMAT.md 4.4: colour, description (absent = empty), concept
    return item.get("color"), item.get("description", ""), item.get("concept")


@pytest.mark.parametrize(
    "file_name",
    [
        "groups_zstd.mska",
        "groups_cm1.mska",
        "unions_zstd.mska",
        "unions_cm1.mska",
        "unions_tiles.mska",
    ],
)
def test_groups_1_2_and_1_3_files_match_generator(file_name):
    stem = file_name.split("_")[0]  # groups: format 1.2; unions: 1.3, the union given first
    expected = json.loads((GOLDEN / f"{stem}_expected.json").read_text())
    archive = read_mska(GOLDEN / file_name)
    index = archive["index"]
    assert index["version"] == expected["version"]
    assert archive["features"] == expected["required_features"]
    assert index["space"] == expected["space"]
    shape_zyx = tuple(reversed(index["space"]["shape_xyz"]))
    coding = expected["files"][file_name]
    assert [{k: e[k] for k in ("name", "kind", "dtype")} for e in index["entries"]] == expected[
        "entries"
    ]
    for entry in index["entries"]:
        assert (entry["coding"], entry.get("chunk_depth"), entry.get("tile_yx")) == (
            coding["coding"],
            coding.get("chunk_depth"),
            coding.get("tile_yx"),
        )
    assert archive["order"] == [s["name"] for s in expected["structures"]]

    entry_of = dict(enumerate(index["entries"]))
    for want in expected["structures"]:
        parts = archive["parts"][want["name"]]
        got = [
            {
                "entry": entry_of[n]["name"],
                "value": label["value"],
                "stats": entry_of[n]["stats"].get(str(label["value"]), {"voxels": 0}),
            }
            for n, label in parts
        ]
        assert got == [{k: p[k] for k in ("entry", "value", "stats")} for p in want["parts"]]
        assert label_of(parts[0][1]) == label_of(want)  # the first part carries the label
        if entry_of[parts[0][0]]["coding"] == "zstd":
            np.testing.assert_array_equal(
                archive["mask"](want["name"]), boxes_mask(want["boxes_zyx"], shape_zyx)
            )
            assert stats_of(archive["mask"](want["name"])) == want["stats"]

    boxes = {s["name"]: s["boxes_zyx"] for s in expected["structures"]}
    assert list(archive["groups"]) == [g["name"] for g in expected["groups"]]
    for want in expected["groups"]:
        group = archive["groups"][want["name"]]
        # A recognised union's member order is the writer's choice; add_group keeps the given one.
        same = sorted if want["recognised_union"] else list
        assert same(group["members"]) == same(want["members"])
        if index["version"] >= [1, 3]:  # FORMAT.md 4.6: "recognised" (since 1.3)
            assert group.get("recognised", False) == want["recognised_union"]
        assert label_of(group) == label_of(want)
        assert group.get("stats", {"voxels": 0}) == want["stats"]
        union = boxes_mask(
            [b for s in archive["expand"](want["name"]) for b in boxes[s]], shape_zyx
        )
        assert stats_of(union) == want["stats"]
        if coding["coding"] == "zstd":
            np.testing.assert_array_equal(archive["mask"](want["name"]), union)


@pytest.mark.parametrize(
    "file_name, stream_mode", [("layered_tiles.mska", 3), ("layered_edges_tiles.mska", 5)]
)
def test_layered_1_3_file_matches_generator(file_name, stream_mode):
    """tests/data/golden/layered_tiles.mska: layer1 coded against layer0 (FORMAT.md 4.3.3) in
    streams of mode 3; layered_edges_tiles.mska: the same case in streams of mode 5 (A.5.7)."""
    expected = json.loads((GOLDEN / "layered_expected.json").read_text())
    path = GOLDEN / file_name
    archive = read_mska(path)
    index = archive["index"]
    assert index["version"] == expected["version"]
    assert archive["features"] == expected["required_features"]
    assert tuple(reversed(index["space"]["shape_xyz"])) == tuple(expected["shape_zyx"])
    entries = {e["name"]: e for e in index["entries"]}
    for entry in entries.values():
        assert (entry["chunk_depth"], entry["tile_yx"]) == (
            expected["chunk_depth"],
            expected["tile_yx"],
        )
        assert entry.get("reference") == expected["references"].get(entry["name"])
    data = path.read_bytes()
    for name, empty in expected["empty_tiles"].items():
        tiles = entries[name]["tiles"]
        assert [k for k, t in enumerate(tiles) if t == 0] == empty
        offset, modes = entries[name]["offset"], set()
        for tile in tiles:
            if tile != 0:
                modes.add(data[offset + 1])  # the stream's mode byte (A.2)
                offset += tile[0]
        assert modes == {stream_mode}
    for want in expected["structures"]:
        ((n, label),) = archive["parts"][want["name"]]
        assert (index["entries"][n]["name"], label["value"]) == (want["entry"], want["value"])
        mask = boxes_mask(want["boxes_zyx"], tuple(expected["shape_zyx"]))
        assert index["entries"][n]["stats"][str(label["value"])] == stats_of(mask)
