"""`vssd replay FILE`: run a recorded AMI transcript through the live call-tracking code, offline.

Prints one JSON line per call. Transcripts carry no wall clock unless Asterisk's ``timestampevents`` was on;
without ``Timestamp`` headers, time is taken from the newest Uniqueid seen (``<system>-<epoch>.<seq>``),
so ring and talk seconds have one-second resolution.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from vssd.calls.amiwire import iter_transcript
from vssd.calls.model import Call
from vssd.calls.tracker import CallTracker


class TranscriptClock:
    """Time from the stream itself: the latest epoch found in a Uniqueid."""

    def __init__(self) -> None:
        self.now = 0.0

    def observe(self, frame: dict[str, str]) -> None:
        uid = frame.get("uniqueid") or frame.get("destuniqueid") or ""
        epoch = uid.rsplit("-", 1)[-1].split(".", 1)[0]  # "<epoch>.<sequence>": the sequence is no fraction
        try:
            value = float(epoch)
        except ValueError:
            return
        if value > self.now:
            self.now = value

    def __call__(self) -> float:
        return self.now


def replay_text(text: str) -> list[Call]:
    """Every call in a transcript, in the order they ended."""
    calls: list[Call] = []
    clock = TranscriptClock()
    tracker = CallTracker(on_final=calls.append, clock=clock)
    for frame in iter_transcript(text):
        clock.observe(frame)
        tracker.feed(frame)
    tracker.finish_all("transcript ended with the call still up")
    return calls


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="vssd replay", description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="AMI transcript (corpus format; '# ' lines ignored)")
    args = parser.parse_args(argv)
    try:
        text = args.file.read_text(encoding="utf-8", errors="replace")
    except OSError as err:
        print(f"vssd replay: cannot read {args.file}: {err.strerror}", file=sys.stderr)
        return 2
    for call in replay_text(text):
        print(json.dumps(call.as_dict(), ensure_ascii=False))
    return 0
