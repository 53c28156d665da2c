"""What a pipeline is: a name, a JSON schema for its params, and steps — each an argv (never a shell string),
a working directory, an allow-list of environment variables it inherits, and a timeout.

An argv element may hold `{name}` placeholders, filled from the run's validated params and the runner's context
(`python`, `export_dir` …) — inside that one element: a param can never become a second argument or a shell
word. `str.format` rules: a literal brace is doubled (`{{`). Params are checked against the schema before a
run starts (jsonschema, defaults filled in).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema

BASE_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "PYTHONPATH", "VIRTUAL_ENV")


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    argv: tuple[str, ...]
    cwd: str | None = None  # None: the runner's working directory
    env_allow: tuple[str, ...] = BASE_ENV
    timeout_s: float = 600.0

    def render(self, values: Mapping[str, Any]) -> list[str]:
        """The argv with its placeholders filled (KeyError names a missing one)."""
        return [string.Formatter().vformat(part, (), _Values(values)) for part in self.argv]


@dataclass(frozen=True, slots=True)
class Pipeline:
    id: int
    name: str
    description: str
    steps: tuple[Step, ...]
    params_schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {},
                                                                      "additionalProperties": False})
    branch: str = "main"
    inject_dsn: bool = False  # the steps reach the database (the runner passes its DSN in their environment)

    def check(self, params: Any) -> tuple[dict[str, Any], list[tuple[list[str | int], str]]]:
        """(params with defaults, problems as (loc, msg)); problems empty when `params` fit the schema."""
        if params is None:
            params = {}
        validator = jsonschema.Draft202012Validator(self.params_schema, format_checker=jsonschema.FormatChecker())
        problems = [(["body", "params", *err.absolute_path], err.message)
                    for err in sorted(validator.iter_errors(params), key=lambda e: list(e.absolute_path))]
        if problems or not isinstance(params, dict):
            return {}, problems or [(["body", "params"], "must be an object")]
        defaults = {k: v["default"] for k, v in self.params_schema.get("properties", {}).items()
                    if isinstance(v, dict) and "default" in v}
        return {**defaults, **params}, []


class _Values(dict[str, Any]):
    def __missing__(self, key: str) -> Any:
        raise KeyError(f"no value for placeholder {{{key}}}")
