"""Writes tiny.mska from docs/FORMAT.md alone: a second, independent writer of the format.

Uses only numpy, zstandard and xxhash (not MedMask), so the C++ reader is checked against the
spec rather than against its own writer. Run from this folder: python3 make_tiny_mska.py
"""

import hashlib
import json
import struct

import numpy as np
import xxhash
import zstandard

MAGIC = b"\x89MSK\r\n\x1a\n"

# Space (FORMAT.md 4.2): shape 4 x 3 x 2 (x, y, z); axes rotated 90 degrees about z.
SPACE = {
    "shape_xyz": [4, 3, 2],
    "origin_lps": [-10.5, 20.25, 3.0],
    "spacing_mm": [0.5, 0.75, 2.0],
    "direction_columns": [[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 1.0]],
}

# Arrays are numpy (z, y, x).
ORGANS = np.array(
    [[[0, 1, 1, 0], [0, 1, 2, 2], [0, 0, 2, 0]], [[0, 0, 0, 0], [3, 0, 0, 0], [3, 3, 0, 0]]],
    dtype="<u1",
)
LAYER0 = np.zeros((2, 3, 4), dtype="<u2")
LAYER0[1, 2, 3] = 300
LAYER0[0, 0, 0] = 300
FLAGS = np.array(
    [[[1, 1, 1, 1], [1, 1, 1, 1], [0, 0, 0, 0]], [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]]],
    dtype="u1",
)
IDS = np.zeros((2, 3, 4), dtype="<u4")
IDS[1, 1, 1:3] = 70000

ENTRIES = [
    (
        "organs",
        "mask",
        "uint8",
        ORGANS,
        [
            {
                "name": "liver",
                "value": 1,
                "color": [221, 130, 101],
                "concept": {"scheme": "SCT", "code": "10200004", "meaning": "Liver"},
            },
            {"name": "spleen", "value": 2, "description": "the spleen"},
            {"name": "stomach", "value": 3},
        ],
    ),
    (
        "layer0",
        "layer",
        "uint16",
        LAYER0,
        [
            {"name": "tumor", "value": 300},
            {"name": "empty_structure", "value": 1},
        ],
    ),
    ("flags", "mask", "bool", FLAGS, [{"name": "body", "value": 1}]),
    ("ids", "mask", "uint32", IDS, [{"name": "big_id", "value": 70000}]),
]
ORDER = ["liver", "spleen", "tumor", "body", "stomach", "empty_structure", "big_id"]


def stats(volume):
    out = {}
    for value in np.unique(volume):
        if value == 0:
            continue
        zyx = np.argwhere(volume == value)
        out[str(int(value))] = {
            "voxels": int(len(zyx)),
            "bbox_min_zyx": [int(v) for v in zyx.min(axis=0)],
            "bbox_max_zyx": [int(v) for v in zyx.max(axis=0)],
        }
    return out


def zstd_frame(raw):
    return zstandard.ZstdCompressor(level=19, write_content_size=True).compress(raw)


def main():
    body = bytearray(64)  # header placeholder
    entries = []
    for name, kind, dtype, volume, labels in ENTRIES:
        frame = zstd_frame(volume.tobytes(order="C"))
        entries.append(
            {
                "name": name,
                "kind": kind,
                "dtype": dtype,
                "coding": "zstd",
                "offset": len(body),
                "length": len(frame),
                "raw_length": volume.size * volume.itemsize,
                "xxh3": xxhash.xxh3_64_hexdigest(frame),
                "labels": labels,
                "stats": stats(volume),
            }
        )
        body += frame
    index = {
        "format": "mska",
        "version": [1, 0],
        "space": SPACE,
        "entries": entries,
        "structure_order": ORDER,
    }
    text = json.dumps(index, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    index_frame = zstd_frame(text)
    index_offset = len(body)
    body += index_frame
    head = MAGIC + struct.pack(
        "<HHIQQQQQ",
        1,
        0,
        0,
        index_offset,
        len(index_frame),
        len(text),
        len(body),
        xxhash.xxh3_64_intdigest(index_frame),
    )
    head += struct.pack("<Q", xxhash.xxh3_64_intdigest(head))
    assert len(head) == 64
    body[:64] = head
    with open("tiny.mska", "wb") as f:
        f.write(body)
    print(len(body), "bytes, sha256", hashlib.sha256(body).hexdigest())


if __name__ == "__main__":
    main()
