"""Replay agrees with a third party (cacofonisk's own test expectations) on every v2 transcript."""

from __future__ import annotations

import json

import pytest

from vssd.calls.outcomes import Outcome
from vssd.replay import replay_text

# The PBX answered the mobile leg to play an acceptance prompt: answer evidence that cacofonisk overrides by
# business logic (its "acceptance" feature), so no AMI-only tracker can agree with it there.
EXCLUDED = {
    "mobile__acceptance_reject.txt": "PBX answered the mobile leg for an acceptance prompt",
    "mobile__acceptance_timeout.txt": "PBX answered the mobile leg for an acceptance prompt",
    # cacofonisk's test_user_event installs a reporter whose on_b_dial/on_up/on_hangup are no-ops, so its empty
    # event list says nothing about the calls in the transcript (which has four DialEnd ANSWER).
    "var_set__user_events.txt": "cacofonisk's reporter in this test silences call events",
}
REASON_OUTCOME = {"busy": Outcome.BUSY, "no-answer": Outcome.NO_ANSWER, "cancelled": Outcome.CANCELLED}


def _expected(corpus):
    data = json.loads((corpus / "ami" / "cacofonisk" / "EXPECTED.json").read_text())
    return sorted(data.items())


def pytest_generate_tests(metafunc):
    if "transcript" in metafunc.fixturenames:
        from tests.conftest import CORPUS

        items = _expected(CORPUS)
        metafunc.parametrize("transcript,expected", items, ids=[name for name, _ in items])


def test_replay_matches_cacofonisk(corpus, transcript, expected):
    if transcript in EXCLUDED:
        pytest.skip(EXCLUDED[transcript])
    calls = replay_text((corpus / "ami" / "cacofonisk" / transcript).read_text())
    events = [tuple(e) for case in expected for e in case["events"]]
    outcomes = [c.outcome for c in calls]
    assert calls, "replay found no call"
    if ("on_up",) in events:
        assert Outcome.ANSWERED in outcomes, f"cacofonisk saw on_up; vssd: {outcomes}"
        return
    assert Outcome.ANSWERED not in outcomes, f"cacofonisk saw no on_up; vssd: {[c.as_dict() for c in calls]}"
    reasons = [e[1] for e in events if e[0] == "on_hangup"]
    for reason in reasons:
        if reason in REASON_OUTCOME:
            assert REASON_OUTCOME[reason] in outcomes, f"cacofonisk on_hangup {reason}; vssd {outcomes}"
