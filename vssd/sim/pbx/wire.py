"""AMI wire format: `Key: Value\r\n` lines, a blank line ends a message; keys case-insensitive on input."""

from __future__ import annotations

from collections.abc import Iterable

EOL = "\r\n"
Headers = list[tuple[str, str]]


def encode(headers: Iterable[tuple[str, object]]) -> bytes:
    return ("".join(f"{k}: {'' if v is None else v}{EOL}" for k, v in headers) + EOL).encode("utf-8")


class Action:
    """An incoming action: ordered headers, looked up case-insensitively; repeated keys kept."""

    def __init__(self, headers: Headers) -> None:
        self.headers = headers

    def get(self, key: str, default: str = "") -> str:
        low = key.lower()
        for k, v in self.headers:
            if k.lower() == low:
                return v
        return default

    def get_all(self, key: str) -> list[str]:
        low = key.lower()
        return [v for k, v in self.headers if k.lower() == low]

    @property
    def name(self) -> str:
        return self.get("Action")

    @property
    def action_id(self) -> str:
        return self.get("ActionID")

    def as_dict(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for k, v in self.headers:
            out[k] = f"{out[k]},{v}" if k in out else v
        return out


def parse_frame(raw: bytes) -> Action:
    text = raw.decode("utf-8", "replace")
    headers: Headers = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if sep:
            headers.append((key.strip(), value.strip()))
    return Action(headers)


def truthy(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on", "y", "t")
