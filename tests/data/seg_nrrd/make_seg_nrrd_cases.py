"""Writes the .seg.nrrd test vectors with independent tools (slicerio, pynrrd) and expected.json.

Run from this folder: python3 make_seg_nrrd_cases.py  (slicerio 1.4.0, pynrrd 1.1.3, numpy).
expected.json holds, per file, what those tools say: the LPS position of voxel corners, and per
segment its name, label value, layer, colour (0..255) and voxel count.
"""

import json

import nrrd
import numpy as np
import slicerio

rng = np.random.default_rng(7)
shape_ijk = (6, 5, 4)
angle = np.deg2rad(18.35)
rotation = np.array(
    [[np.cos(angle), -np.sin(angle), 0.0], [np.sin(angle), np.cos(angle), 0.0], [0.0, 0.0, 1.0]]
)
spacing = np.array([0.8, 0.75, 2.5])
ijk_to_lps = np.eye(4)
ijk_to_lps[:3, :3] = rotation @ np.diag(spacing)
ijk_to_lps[:3, 3] = [-12.5, 30.25, 101.0]

# Two layers: lobes (exclusive, values 1, 2) and a lesion crossing their border (value 1).
layers = np.zeros((2,) + shape_ijk, dtype=np.uint8)  # slicerio: (layer, i, j, k)
layers[0, :3] = 1
layers[0, 3:] = 2
layers[1, 2:4, 1:3, 1:3] = 1
segments = [
    {"id": "lobe_a", "name": "lobe a", "labelValue": 1, "layer": 0, "color": [0.5, 0.25, 1.0]},
    {"id": "lobe_b", "name": "lobe_b", "labelValue": 2, "layer": 0, "color": [1.0, 0.0, 0.0]},
    {"id": "lesion", "name": "lesion", "labelValue": 1, "layer": 1, "color": [0.0, 1.0, 0.0]},
]
segmentation = {
    "voxels": layers,
    "ijkToLPS": ijk_to_lps,
    "encoding": "gzip",
    "segments": segments,
    "masterRepresentation": "Binary labelmap",
    "containedRepresentationNames": ["Binary labelmap"],
    "referenceImageExtentOffset": [0, 0, 0],
}
slicerio.write_segmentation("two_layers_oblique.seg.nrrd", segmentation)

# A plain label NRRD in RAS without segment keys, signed short data.
labels = rng.integers(0, 4, size=shape_ijk).astype(np.int16)
ras_directions = np.diag([-1.0, -1.0, 1.0]) @ ijk_to_lps[:3, :3]
nrrd.write(
    "label_ras_int16.nrrd",
    labels,
    {
        "space": "right-anterior-superior",
        "space directions": ras_directions.T,
        "space origin": np.diag([-1.0, -1.0, 1.0]) @ ijk_to_lps[:3, 3],
        "kinds": ["domain", "domain", "domain"],
        "encoding": "raw",
        "endian": "little",
    },
)


def corners_lps(matrix):
    out = []
    for i in (0, shape_ijk[0] - 1):
        for j in (0, shape_ijk[1] - 1):
            for k in (0, shape_ijk[2] - 1):
                out.append({"ijk": [i, j, k], "lps": (matrix @ [i, j, k, 1])[:3].tolist()})
    return out


read_back = slicerio.read_segmentation("two_layers_oblique.seg.nrrd")
expected = {
    "two_layers_oblique.seg.nrrd": {
        "corners": corners_lps(np.array(read_back["ijkToLPS"])),
        "layers": 2,
        "segments": [
            {
                "name": s["name"],
                "value": int(s["labelValue"]),
                "layer": int(s["layer"]),
                "color": [round(c * 255) for c in s["color"]],
                "voxels": int((read_back["voxels"][s["layer"]] == s["labelValue"]).sum()),
            }
            for s in read_back["segments"]
        ],
    },
    "label_ras_int16.nrrd": {
        "corners": corners_lps(ijk_to_lps),
        "layers": 1,
        "segments": [
            {"name": f"Segment_{v}", "value": v, "layer": 0, "voxels": int((labels == v).sum())}
            for v in (1, 2, 3)
        ],
    },
}
with open("expected.json", "w") as f:
    json.dump(expected, f, indent=1)
