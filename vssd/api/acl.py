"""Permission checks in SPEC's dotted scheme, Wazo-style: `*` is one segment, `#` any run of segments,
a leading `!` denies and wins over any grant. A few of the seeds' spellings are folded in (`calls:read`
→ `vssd.calls.read`, `slots.read` → `vssd.slots.read`); the full alias table belongs to the RBAC routes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

PREFIX = "vssd."


def canonical(permission: str) -> str:
    """The dotted form of a permission (without its `!`)."""
    text = permission.strip().replace(":", ".")
    if text in ("#", "*") or text.startswith(PREFIX):
        return text
    return PREFIX + text


@lru_cache(maxsize=1024)
def _pattern(permission: str) -> re.Pattern[str]:
    parts = [".*" if seg == "#" else "[^.]*" if seg == "*" else re.escape(seg) for seg in permission.split(".")]
    regex = r"\.".join(parts).replace(r".*\.", r"(?:.*\.)?")
    return re.compile(regex + r"\Z")


def allowed(permissions: Iterable[str], required: str) -> bool:
    """True when some grant matches `required` and no `!` rule does."""
    granted = False
    for raw in permissions:
        deny = raw.startswith("!")
        rule = canonical(raw[1:] if deny else raw)
        if _pattern(rule).match(required):
            if deny:
                return False
            granted = True
    return granted
