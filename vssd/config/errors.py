"""ConfigError: every problem found in one pass, each with the dotted key path it belongs to."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MISSING = object()
REDACTED = "<redacted>"


@dataclass(frozen=True)
class Issue:
    path: str
    value: Any
    message: str

    def render(self) -> str:
        """`key.path = <value>: <message>` — the line `vssd --validate-config` prints."""
        return f"{self.path} = {_show(self.value)}: {self.message}"


def _show(value: Any) -> str:
    if value is MISSING:
        return "<missing>"
    try:
        return json.dumps(value, default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


class ConfigError(Exception):
    """The configuration is unusable; `issues` lists every key path at fault."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = list(issues)
        super().__init__("invalid configuration:\n" + "\n".join(i.render() for i in self.issues))

    @property
    def paths(self) -> list[str]:
        return [i.path for i in self.issues]
