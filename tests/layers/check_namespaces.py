"""Fails when a file of src/ opens an internal namespace other than its layer's (docs/DESIGN.md,
"Layers of the library": namespaces follow the layers).

A file may open `medmask` (it implements public API) and its layer's internal namespace:
codec -> medmask::codec, container -> medmask::container, io -> medmask::io, detail ->
medmask::detail. core and geometry keep their few helpers in medmask::detail (DESIGN.md says
why). Anonymous namespaces inside are not looked at.

Usage: check_namespaces.py [repository root]; exit 1 with one line per offending namespace.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ALLOWED = {
    "detail": {"detail"},
    "geometry": {"detail"},
    "core": {"detail"},
    "codec": {"codec"},
    "container": {"container"},
    "io": {"io"},
}

# Files in another namespace than their layer's, each with the reason (none today).
EXCEPTIONS: dict[str, set[str]] = {}

OPENING = re.compile(r"^namespace\s+medmask(?:::(\w+))?\s*\{", re.M)
SOURCE_SUFFIXES = {".cpp", ".hpp", ".in"}


def main(root: Path) -> int:
    problems = []
    for path in sorted((root / "src").rglob("*")):
        if path.suffix not in SOURCE_SUFFIXES or not path.is_file():
            continue
        relative = path.relative_to(root).as_posix()
        layer = path.relative_to(root / "src").parts[0]
        if layer not in ALLOWED:
            continue  # files directly under src/ (none today)
        allowed = EXCEPTIONS.get(relative, ALLOWED[layer])
        text = path.read_text(encoding="utf-8")
        for match in OPENING.finditer(text):
            inner = match.group(1)
            if inner is not None and inner not in allowed:
                line = text.count("\n", 0, match.start()) + 1
                wanted = " or ".join(f"medmask::{name}" for name in sorted(allowed))
                problems.append(
                    f"{relative}:{line}: namespace medmask::{inner} in layer "
                    f"{layer}; expected medmask or {wanted}"
                )
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2]))
