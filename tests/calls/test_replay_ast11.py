"""Asterisk 11 transcripts (no Linkedid, Event: Dial/SubEvent): outcomes from Hangup causes and Dial statuses."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from vssd.calls.outcomes import Outcome
from vssd.replay import replay_text

# Scenario of each transcript (its upstream name) → the outcome its main call must have.
SCENARIO = {
    "simple__ab_success.txt": Outcome.ANSWERED,
    "simple__ab_busy.txt": Outcome.BUSY,
    "simple__ab_a_cancel_hangup.txt": Outcome.CANCELLED,
    "simple__ab_callgroup_no_answer.txt": Outcome.NO_ANSWER,
    "connectab__ctd-account-world.txt": Outcome.ANSWERED,
    "connectab__ctd-account-world-deny_a.txt": Outcome.BUSY,
    "xfer_misc__call_pickup.txt": Outcome.ANSWERED,
    "acceptance__accept_timeout.txt": Outcome.NO_ANSWER,
    "connectab__ctd-account-world-fail2.txt": Outcome.CANCELLED,
}
# What INDEX.json must show for vssd to claim an outcome.
EVIDENCE = {
    Outcome.ANSWERED: ({"ANSWER"}, set()),
    Outcome.BUSY: ({"BUSY"}, {17}),
    Outcome.NO_ANSWER: ({"NOANSWER"}, {18, 19}),
    Outcome.CANCELLED: ({"CANCEL"}, {0, 16, 127}),
    Outcome.CONGESTION: ({"CONGESTION"}, {34, 41, 42, 44}),
}


@pytest.mark.parametrize("name", sorted(SCENARIO))
def test_ast11_outcomes_agree_with_index(corpus, name):
    index = json.loads((corpus / "ami" / "INDEX.json").read_text())[f"cacofonisk_ast11/{name}"]
    assert index["has_linkedid"] is False
    calls = replay_text((corpus / "ami" / "cacofonisk_ast11" / name).read_text())
    outcomes = [c.outcome for c in calls]
    assert SCENARIO[name] in outcomes, outcomes
    causes = {int(k.split()[0]) for k in index["hangup_causes"]}
    for call in calls:
        statuses, cause_codes = EVIDENCE[call.outcome]
        assert statuses & set(index["dial_status"]) or cause_codes & causes, (call.outcome, index)
        assert call.cause is None or call.cause in causes


def test_replay_cli_prints_json_lines(corpus, tmp_path):
    path = corpus / "ami" / "cacofonisk" / "simple__ab_reject.txt"
    crlf = tmp_path / "crlf.txt"
    crlf.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    for target in (path, crlf):
        out = subprocess.run([sys.executable, "-m", "vssd", "replay", str(target)], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        rows = [json.loads(line) for line in out.stdout.splitlines()]
        assert [r["outcome"] for r in rows] == ["busy"]
        assert rows[0]["cause"] == 17 and rows[0]["answer_evidence"] is None
    missing = subprocess.run([sys.executable, "-m", "vssd", "replay", str(tmp_path / "nope")], capture_output=True)
    assert missing.returncode == 2 and b"cannot read" in missing.stderr
