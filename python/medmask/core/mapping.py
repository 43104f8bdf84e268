"""medmask.core.mapping: LabelMapping, the {name: value} table of medmask 0.1.x."""

from __future__ import annotations

import json

__all__ = ["LabelMapping"]


class LabelMapping(dict):
    """{name: label value} with the reverse lookup of medmask 0.1.x.

    A dict, so it compares equal to a plain {name: value} and goes wherever one does; a value
    belongs to one name only. ``mapping.liver`` reads like ``mapping["liver"]``.
    """

    def __init__(self, name_to_label: dict | None = None) -> None:
        super().__init__()
        for name, label in (name_to_label or {}).items():
            self[name] = label

    def __setitem__(self, name: str, label: int) -> None:
        """Sets name -> label; ValueError when label already belongs to another name."""
        for other, value in self.items():
            if value == label and other != name:
                raise ValueError(f"Label {label} already exists")
        super().__setitem__(name, label)

    def __getattr__(self, name: str) -> int:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"'{name}' not found in label mapping.") from None

    @property
    def _name_to_label(self) -> dict:
        return dict(self)

    @property
    def _label_to_name(self) -> dict:
        return {label: name for name, label in self.items()}

    def __call__(self, name: str) -> int:
        return self[name]

    def inverse(self, label: int) -> str:
        """The name of label value; KeyError when no name has it."""
        for name, value in self.items():
            if value == label:
                return name
        raise KeyError(label)

    def has_label(self, label: int) -> bool:
        """True when some name has label value."""
        return any(value == label for value in self.values())

    def to_json(self) -> str:
        """The mapping as a JSON object {name: value}."""
        return json.dumps(dict(self))

    @classmethod
    def from_json(cls, json_str: str) -> LabelMapping:
        """A LabelMapping from the JSON of to_json."""
        return cls(json.loads(json_str))

    def __repr__(self) -> str:
        return repr(dict(self))

    __str__ = __repr__
