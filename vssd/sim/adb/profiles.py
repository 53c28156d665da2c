"""Phone profiles: real `getprop` property sets shipped as data files under `profiles/`.

Each file is a real device's property list (pytorch/cpuinfo mocks, BSD-2-Clause, see the `# SOURCE:` and
`# LICENSE:` header lines kept in every file) rendered in `adb shell getprop` format `[key]: [value]`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"
_LINE = re.compile(r"^\[(?P<key>[^\]]*)\]: \[(?P<value>.*)\]$")


@dataclass(frozen=True)
class Profile:
    """One real device's property set, in file order."""

    name: str
    props: tuple[tuple[str, str], ...]

    @property
    def sdk(self) -> int:
        return int(dict(self.props).get("ro.build.version.sdk", "0") or 0)

    def get(self, key: str, default: str = "") -> str:
        return dict(self.props).get(key, default)


def parse_getprop_lines(text: str) -> dict[str, str]:
    """`[key]: [value]` lines → dict; `# ` comment lines and anything else are skipped."""
    props: dict[str, str] = {}
    for line in text.splitlines():
        match = _LINE.match(line.rstrip("\r"))
        if match:
            props[match["key"]] = match["value"]
    return props


def profile_names() -> list[str]:
    """Profile names (file stems) in a stable order: oldest Android first."""
    files = sorted(PROFILE_DIR.glob("*.txt"), key=lambda p: (_sdk_of(p.stem), p.stem))
    return [p.stem for p in files]


def _sdk_of(stem: str) -> int:
    match = re.search(r"_sdk(\d+)$", stem)
    return int(match.group(1)) if match else 0


@cache
def load_profile(name: str) -> Profile:
    """Load a profile by file stem (`pixel-8_android14_sdk34`) or a unique prefix of it (`pixel-8`, `galaxy-s8`)."""
    path = PROFILE_DIR / f"{name}.txt"
    if not path.is_file():
        matches = sorted(PROFILE_DIR.glob(f"{name}*.txt"))
        if len(matches) != 1:
            raise KeyError(f"unknown phone profile {name!r}; known: {', '.join(profile_names())}")
        path = matches[0]
    props = parse_getprop_lines(path.read_text(encoding="utf-8"))
    return Profile(name=path.stem, props=tuple(props.items()))
