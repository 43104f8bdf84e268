"""Fails when a file of the library includes one of a higher layer (docs/DESIGN.md, "Layers").

Every file of src/ takes the layer of its folder; every public header (include/medmask/) the layer
given in PUBLIC_HEADERS, so that a new public header must be placed before the check passes, and
the sources implementing it (those including it first) must lie in that layer's folder: a header
placed low but implemented high would hide an upward dependency. cli/ and python/bindings/ sit on
top and may include public headers only.

Usage: check_include_layers.py [repository root]; exit 1 with one line per offending include.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

# Low to high. Space is a value type that masks hold, so geometry sits below core; the error
# types are thrown by every layer, so they sit at the bottom beside detail.
LAYERS = ["detail", "geometry", "core", "codec", "container", "io", "api"]

PUBLIC_HEADERS = {
    "error.hpp": "detail",
    "replace_file.hpp": "detail",
    "space.hpp": "geometry",
    "space_json.hpp": "geometry",
    "volume.hpp": "core",
    "label_table.hpp": "core",
    "mask.hpp": "core",
    "limits.hpp": "core",
    "threads.hpp": "core",
    "version.hpp": "core",
    "archive.hpp": "container",
    "medmask_v1.hpp": "container",
    "nifti.hpp": "io",
    "seg_nrrd.hpp": "io",
    "numpy_io.hpp": "io",
    "label_files.hpp": "io",
    "known_labels.hpp": "io",
    "import.hpp": "io",
    "export.hpp": "io",
    "dicom_seg.hpp": "io",
    "warning.hpp": "io",
    "medmask.hpp": "api",  # the umbrella header: includes every other
}

# Sources whose includes are checked, and the layer of each (None: by folder under src/).
CHECKED = [("src", None), ("include/medmask", None), ("cli", "api"), ("python/bindings", "api")]
SOURCE_SUFFIXES = {".cpp", ".hpp", ".in"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
# A source's own header comes first, before every other include (clang-format keeps it there).
FIRST_INCLUDE = re.compile(r'^\s*#\s*include\s+(["<])([^">]+)[">]', re.M)


def layer_of_include(target: str) -> str | None:
    """The layer of an included path as the library spells it, None for a file of the includer's
    own folder (cli/, python/bindings/ helpers) or a third-party header."""
    if target.startswith("medmask/"):
        return PUBLIC_HEADERS.get(target.removeprefix("medmask/"), "unplaced")
    folder = target.split("/", 1)[0]
    return folder if folder in LAYERS and "/" in target else None


def layer_of_file(root: Path, path: Path, fixed: str | None) -> str:
    if fixed is not None:
        return fixed
    relative = path.relative_to(root)
    if relative.parts[0] == "include":
        return PUBLIC_HEADERS.get(path.name, "unplaced")
    return relative.parts[1]


def problems(root: Path) -> list[str]:
    found = []
    for top, fixed in CHECKED:
        for path in sorted((root / top).rglob("*")):
            if path.suffix not in SOURCE_SUFFIXES or not path.is_file():
                continue
            own = layer_of_file(root, path, fixed)
            where = path.relative_to(root)
            if own not in LAYERS:
                found.append(f"{where}: not placed in a layer; add it to PUBLIC_HEADERS")
                continue
            text = path.read_text(encoding="utf-8")
            targets = INCLUDE.findall(text)
            first = FIRST_INCLUDE.search(text)
            own_header = first is not None and first.group(1) == '"' and path.suffix == ".cpp"
            implemented = first.group(2) if own_header else ""
            if fixed is None and implemented.startswith("medmask/"):
                layer = layer_of_include(implemented)
                if layer != own:
                    found.append(f'{where} ({own}) implements "{implemented}" ({layer})')
            for target in targets:
                layer = layer_of_include(target)
                if layer is None:
                    continue
                if layer not in LAYERS:
                    found.append(f'{where}: includes "{target}", not placed in a layer')
                elif fixed == "api" and not target.startswith("medmask/"):
                    found.append(f'{where}: includes "{target}"; {top}/ uses public headers only')
                elif LAYERS.index(layer) > LAYERS.index(own):
                    found.append(f'{where} ({own}) includes "{target}" ({layer}), a higher layer')
    return found


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2])
    found = problems(root)
    for line in found:
        print(line)
    print(f"include layers: {len(found)} problem(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
