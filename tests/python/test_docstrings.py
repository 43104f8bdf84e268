"""Every public name of the package has a docstring (they are also in the shipped stubs)."""

from __future__ import annotations

import inspect

import medmask


def public_members(obj):
    for name, member in inspect.getmembers(obj):
        if name.startswith("_") and name not in (
            "__init__",
            "__getitem__",
            "__enter__",
            "__exit__",
            "__contains__",
            "__iter__",
        ):
            continue
        yield name, member


def test_every_public_name_is_documented():
    missing = []
    for name in medmask.__all__:
        obj = getattr(medmask, name)
        if name == "__version__":
            continue
        if not (obj.__doc__ or "").strip():
            missing.append(name)
        if inspect.isclass(obj) and not issubclass(obj, BaseException):
            for member_name, member in public_members(obj):
                doc = inspect.getdoc(member) or ""
                if not doc.strip():
                    missing.append(f"{name}.{member_name}")
    assert not missing, missing


def test_stub_file_documents_the_classes():
    import pathlib

    stub = (pathlib.Path(medmask.__file__).parent / "_core.pyi").read_text()
    for cls in ("Space", "SegmentationMask", "MaskArchive", "Structure"):
        assert f"class {cls}:" in stub
    assert "def reverse_axis_order(self) -> Space" in stub
    assert "def read_each(self, names" in stub
