"""E-mail over real SMTP (aiosmtplib → a local aiosmtpd server on loopback), the system.alert rule, and sends to
a user and a role with their WebSocket deliveries."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.notifier.conftest import RigFactory
from vssd.adapters.smtp import SmtpMailer
from vssd.events import SystemAlert


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.refuse: str | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's API)
        if self.refuse and address == self.refuse:
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's API)
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def smtp() -> AsyncIterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    await asyncio.to_thread(controller.start)
    try:
        yield inbox, port
    finally:
        await asyncio.to_thread(controller.stop)


def mailer(port: int) -> SmtpMailer:
    return SmtpMailer(host="127.0.0.1", port=port, sender="vssd@hub.test", timeout_s=5.0)


async def test_an_email_notification_is_received_by_the_smtp_server(make_rig: RigFactory, smtp):
    inbox, port = smtp
    rig = await make_rig(mailer=mailer(port))
    answer = await rig.desk.send({"user": "op1", "title": "Shift", "message": "Your shift starts at 9",
                                  "severity": "warning", "channels": ["email"]}, "admin")
    [queued] = answer["deliveries"]
    assert (queued["channel"], queued["recipient"], queued["state"]) == ("email", "op1@example.com", "queued")
    assert await rig.engine.step() == 1
    [(to, message)] = inbox.messages
    assert to == ["op1@example.com"] and message["Subject"] == "[warning] Shift"
    assert message["From"] == "vssd@hub.test" and "Your shift starts at 9" in message.get_payload()
    [row] = await rig.states(channel="email")
    assert (row["state"], row["attempts"]) == ("sent", 1)


async def test_a_refused_recipient_fails_and_a_server_away_is_retried(make_rig: RigFactory, smtp):
    inbox, port = smtp
    inbox.refuse = "nobody@example.com"
    rig = await make_rig(mailer=mailer(port))
    await rig.desk.send({"channel": "email", "address": "nobody@example.com", "title": "t", "message": "m"}, None)
    await rig.engine.step()
    [row] = await rig.states(channel="email")
    assert row["state"] == "failed" and "SMTP 550" in row["last_error"]
    away = await make_rig(mailer=mailer(_free_port()))
    await away.desk.send({"channel": "email", "address": "ops@example.com", "title": "t2", "message": "m"}, None)
    await away.engine.step()
    rows = await away.states(recipient="ops@example.com")
    assert rows[0]["state"] == "retrying" and rows[0]["last_error"].startswith("MailUnreachable")


async def test_email_without_smtp_configured_fails_saying_so(make_rig: RigFactory):
    rig = await make_rig(mailer=None)
    await rig.desk.send({"channel": "email", "address": "ops@example.com", "title": "t", "message": "m"}, None)
    await rig.engine.step()
    [row] = await rig.states(channel="email")
    assert row["state"] == "failed" and "notifier.smtp.enabled" in row["last_error"]


async def test_a_role_send_reaches_each_active_user_of_the_role(make_rig: RigFactory):
    rig = await make_rig()
    heard = rig.events.subscribe(["notification"])
    answer = await rig.desk.send({"role": "admin", "title": "Upgrade", "message": "at 22:00",
                                  "channels": ["websocket", "email"]}, "admin")
    by_channel = sorted((d["channel"], d["state"]) for d in answer["deliveries"])
    # two admins on WebSocket; e-mail: one address, and admin2 has none (failed at once, saying why)
    assert by_channel == [("email", "failed"), ("email", "queued"), ("websocket", "sent"), ("websocket", "sent")]
    item = heard.get_nowait()
    assert item is not None and item.topic == "notification" and len(item.data["to_users"]) == 2
    assert any(r["last_error"] == "the user has no e-mail address" for r in await rig.states(channel="email"))


async def test_a_send_to_an_unknown_user_is_refused(make_rig: RigFactory):
    rig = await make_rig()
    with pytest.raises(ValueError, match="NOTIFIER_001"):
        await rig.desk.send({"user": "ghost", "title": "t", "message": "m"}, None)


async def test_a_warning_system_alert_reaches_the_admins_by_the_rule(make_rig: RigFactory):
    rig = await make_rig()
    heard = rig.events.subscribe(["notification"])
    rig.events.emit(SystemAlert(type="slot_fault", severity="info", message="fyi", timestamp=1.0))
    rig.events.emit(SystemAlert(type="slot_fault", severity="warning", message="slot 3 faulted", timestamp=1.0))
    await rig.engine.step()
    item = heard.get_nowait()
    assert item is not None and item.data["title"] == "system.alert: slot_fault"
    assert item.data["message"] == "slot 3 faulted" and len(item.data["to_users"]) == 2
    assert heard.get_nowait() is None  # the info alert is below the rule's threshold
    assert {r["channel"] for r in await rig.states()} == {"websocket"}


async def test_the_rule_follows_its_configuration(make_rig: RigFactory):
    rig = await make_rig(alert_min_severity="critical", alert_roles=("operator",))
    heard = rig.events.subscribe(["notification"])
    rig.events.emit(SystemAlert(type="x", severity="warning", message="w", timestamp=1.0))
    rig.events.emit(SystemAlert(type="x", severity="critical", message="c", timestamp=1.0))
    await rig.engine.step()
    item = heard.get_nowait()
    assert item is not None and item.data["message"] == "c" and len(item.data["to_users"]) == 1
    assert heard.get_nowait() is None
