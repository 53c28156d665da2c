"""AMI pump throughput: vssd's adapter + call tracking vs bare panoramisk with a no-op callback.

Both clients read the same byte stream over loopback TCP from a separate server process: real Asterisk 13+ call
transcripts from the corpus (cacofonisk), replicated with fresh Uniqueids/Linkedids so every copy is a new call.

Reproduce:  .venv/bin/python bench/ami_pump.py [--calls 4000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import re
import socket
import statistics
import sys
import time
from pathlib import Path

from panoramisk import Manager

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vssd.adapters.ami import AmiLink, AmiSettings  # noqa: E402
from vssd.calls.amiwire import encode_frame, iter_transcript  # noqa: E402
from vssd.calls.tracker import CallTracker  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "ami" / "cacofonisk"
TEMPLATES = ["simple__ab_success_a_hangup.txt", "simple__ab_reject.txt", "simple__ab_callgroup_no_answer.txt"]
NOISE = {"VarSet", "Newexten"}
DONE = encode_frame({"Event": "BenchDone"})
UID = re.compile(r"(\d{10})\.(\d+)")


def build_stream(calls: int) -> tuple[bytes, int]:
    """Concatenate corpus calls with rewritten ids; returns (bytes, number of events)."""
    templates = []
    for name in TEMPLATES:
        frames = [f for f in iter_transcript((CORPUS / name).read_text()) if f.get("event") not in NOISE]
        text = b"".join(encode_frame({k: v for k, v in f.items() if not k.startswith("__")}) for f in frames)
        templates.append((text.decode(), len(frames)))
    parts, events = [], 0
    for i in range(calls):
        text, n = templates[i % len(templates)]
        parts.append(UID.sub(lambda m, i=i: f"{m.group(1)}.{int(m.group(2)) + i * 1000}", text).encode())
        events += n
    return b"".join(parts) + DONE, events


def serve(port_q: multiprocessing.Queue, blob: bytes) -> None:
    """Blocking AMI-ish server: answers every action with Success; the action 'Blast' triggers the stream."""
    srv = socket.create_server(("127.0.0.1", 0))
    port_q.put(srv.getsockname()[1])
    while True:
        conn, _ = srv.accept()
        conn.sendall(b"Asterisk Call Manager/7.0.3\r\n")
        buf = b""
        while True:
            data = conn.recv(65536)
            if not data:
                break
            buf += data
            while b"\r\n\r\n" in buf:
                frame, buf = buf.split(b"\r\n\r\n", 1)
                fields = dict(ln.split(": ", 1) for ln in frame.decode().split("\r\n") if ": " in ln)
                aid = fields.get("ActionID", "")
                conn.sendall(encode_frame({"Response": "Success", "ActionID": aid, "Message": "ok"}))
                if fields.get("Action") == "Blast":
                    conn.sendall(blob)
        conn.close()


async def run_bare(port: int) -> float:
    done = asyncio.get_running_loop().create_future()
    manager = Manager(host="127.0.0.1", port=port, username="u", secret="s", ping_delay=3600, ping_interval=3600)
    manager.register_event("*", lambda m, e: None)
    manager.register_event("BenchDone", lambda m, e: done.done() or done.set_result(time.perf_counter()))
    await manager.connect()
    await asyncio.sleep(0.2)
    start = time.perf_counter()
    manager.send_action({"Action": "Blast"})
    end = await asyncio.wait_for(done, 300)
    manager.close()
    return end - start


async def run_vssd(port: int) -> tuple[float, int]:
    done = asyncio.get_running_loop().create_future()
    finished = []
    tracker = CallTracker(on_final=finished.append)

    def sink(frame: dict[str, str]) -> None:
        if frame["event"] == "BenchDone":
            done.done() or done.set_result(time.perf_counter())
        tracker.feed(frame)

    link = AmiLink(AmiSettings(port=port, auth="plain", secret="s", ping_interval_s=3600), sink=sink)
    await link.start()
    await link.wait_up(10)
    start = time.perf_counter()
    await link.send({"Action": "Blast"})
    end = await asyncio.wait_for(done, 300)
    await link.stop()
    return end - start, len(finished)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    blob, events = build_stream(args.calls)
    port_q: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(port_q, blob), daemon=True)
    server.start()
    port = port_q.get(timeout=10)
    bare, ours, calls = [], [], 0
    for _ in range(args.rounds):
        bare.append(asyncio.run(run_bare(port)))
        elapsed, calls = asyncio.run(run_vssd(port))
        ours.append(elapsed)
    server.terminate()
    bare_rate = events / statistics.median(bare)
    our_rate = events / statistics.median(ours)
    print(f"stream: {args.calls} calls, {events} events, {len(blob) / 1e6:.1f} MB, {args.rounds} rounds (median)")
    print(f"baseline  bare panoramisk 1.4, no-op callback : {bare_rate:10,.0f} events/s")
    print(f"vssd      AmiLink + CallTracker               : {our_rate:10,.0f} events/s  ({calls} calls finished)")
    print(f"ratio vssd/baseline: {our_rate / bare_rate:.2f}x   (goals: >= 20,000 events/s and >= 0.6x)")
    print("reproduce: .venv/bin/python bench/ami_pump.py " + " ".join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
