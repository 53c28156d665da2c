"""AMI wire format: an incremental, damage-tolerant frame parser shared by the live pump and replay.

Real Asterisk streams are not always clean: frames ending in ``\\r\\n\\n``, bare ``\\n`` line ends, values with
embedded newlines, multi-byte UTF-8 characters split across TCP reads, unknown events. The parser never raises on
input: a frame it cannot make sense of is counted in ``malformed`` and skipped.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator

Frame = dict[str, str]
"""One AMI message: lower-cased keys; a repeated key keeps every value joined by ``\\n``
(``ChanVariable``, ``Variable``); ``__content__`` holds a ``Response: Follows`` body."""

BANNER_PREFIX = "Asterisk Call Manager/"
CONTENT_KEY = "__content__"


class FrameParser:
    """Bytes in, frames out. Keeps the undecoded tail of a split UTF-8 character for the next read."""

    __slots__ = ("_decoder", "_rest", "banner", "frames", "malformed", "max_frame_chars")

    def __init__(self, max_frame_chars: int = 1 << 20) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._rest = ""
        self.banner: str | None = None
        self.frames = 0
        self.malformed = 0
        self.max_frame_chars = max_frame_chars

    def feed(self, data: bytes) -> list[Frame]:
        text = self._rest + self._decoder.decode(data)
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        if self.banner is None and text.startswith(BANNER_PREFIX):
            line, sep, text = text.partition("\n")
            if not sep:
                self._rest = line
                return []
            self.banner = line.strip()
        chunks = text.split("\n\n")
        self._rest = chunks.pop()
        if len(self._rest) > self.max_frame_chars:
            self.malformed += 1
            self._rest = ""
        out = []
        for chunk in chunks:
            frame = self.parse_frame(chunk)
            if frame is not None:
                out.append(frame)
        return out

    def parse_frame(self, chunk: str) -> Frame | None:
        """One frame's text (without the blank line) → Frame; None for blank or unusable text."""
        chunk = chunk.strip("\n")
        if not chunk:
            return None
        lines = chunk.split("\n")
        try:  # fast path: every line a clean "Key: value", no repeated key, no command output
            frame = {k.lower(): v for k, v in (ln.split(": ", 1) for ln in lines)}
        except ValueError:
            return self._parse_damaged(chunk)
        if len(frame) != len(lines) or "\r" in chunk or frame.get("response") == "Follows":
            return self._parse_damaged(chunk)
        if "event" not in frame and "response" not in frame:
            self.malformed += 1
            return None
        self.frames += 1
        return frame

    def _parse_damaged(self, chunk: str) -> Frame | None:
        """The careful path: repeated keys, embedded newlines, stray CRs, bodies."""
        frame: Frame = {}
        last = ""
        body: list[str] = []
        for raw in chunk.split("\n"):
            line = raw.rstrip("\r")
            key, sep, value = line.partition(":")
            if sep and key and " " not in key:
                last = key.lower()
                value = value[1:] if value.startswith(" ") else value
                frame[last] = f"{frame[last]}\n{value}" if last in frame else value
            elif last and frame.get("response") not in ("Follows",):
                frame[last] = f"{frame[last]}\n{line}"  # embedded newline inside a value
            else:
                body.append(line)
        if body:
            frame[CONTENT_KEY] = "\n".join(body)
        if "event" not in frame and "response" not in frame:
            self.malformed += 1
            return None
        self.frames += 1
        return frame


def iter_transcript(text: str) -> Iterator[Frame]:
    """Frames of a recorded transcript (the corpus format): lines starting ``# `` are comments; LF or CRLF."""
    lines = [ln for ln in text.splitlines() if not ln.startswith("# ")]
    parser = FrameParser()
    yield from parser.feed(("\n".join(lines) + "\n\n").encode())


def encode_frame(headers: dict[str, str] | list[tuple[str, str]]) -> bytes:
    """Serialise one AMI message with CRLF line ends and the terminating blank line."""
    items = headers.items() if isinstance(headers, dict) else headers
    return ("".join(f"{k}: {v}\r\n" for k, v in items) + "\r\n").encode()
