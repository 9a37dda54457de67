"""Ready-made survey templates, their texts in every resident language.

Examples
--------
>>> sorted(TEMPLATES)
['a11', 'nps', 'post_service']
>>> TEMPLATES["post_service"].survey().question("fixed").kind.value
'fixed'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

from surveys.model import Survey

__all__ = ["Template", "TEMPLATES"]


@dataclass(frozen=True)
class Template:
    """A named survey definition to start from."""

    id: str
    name: str
    description: str
    definition: dict

    def survey(self) -> Survey:
        """The template as a Survey."""
        return Survey.from_dict(self.definition)


def _load() -> dict[str, Template]:
    found = {}
    for entry in sorted(resources.files("surveys.data.templates").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            data = json.loads(entry.read_text(encoding="utf-8"))
            found[data["id"]] = Template(data["id"], data["name"], data["description"], data["survey"])
    return found


#: Every template by id.
TEMPLATES: dict[str, Template] = _load()
