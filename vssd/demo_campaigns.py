"""The demo's call centre: operators on pre-connected lines and one campaign after another, dialled
predictively through the simulated slots. Simulated operators take the calls bridged to them (the PBX
simulator's talk time), wrap up, and leave a disposition — `dnc` now and then, which feeds the DNC list.

Runs as a daemon intake job (`vssd demo`); everything goes through the same desk the API uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import Any

from vssd.adapters.store_users import add_user
from vssd.app import Daemon
from vssd.events import Subscription

log = logging.getLogger("vssd.demo")
DISPOSITIONS = (("sale", 3), ("callback", 3), ("not_interested", 8), ("other", 2), ("dnc", 1))
SETTINGS = {"mode": "predictive", "policy": "none", "abandon_cap_pct": 3.0, "retry_count": 1, "retry_delay": 20,
            "max_concurrent_calls": 24, "ring_timeout_s": 20,
            "abandon_message": {"seller_name": "VSS Demo", "callback_number": "+74950000000"}}


async def ensure_operators(daemon: Daemon, extensions: list[str]) -> list[str]:
    """Operator users `op<ext>` with those extensions (created once, kept in the demo's store); their ids."""
    assert daemon.store is not None
    ids = []
    for ext in extensions:
        username = f"op{ext}"
        user_id = await daemon.store.pool.fetchval("SELECT id::text FROM users WHERE username = $1", username)
        if user_id is None:
            user_id = await add_user(daemon.store, username, f"demo-{ext}", role="operator",
                                     name=f"Operator {ext}")
        await daemon.store.pool.execute("UPDATE users SET extension = $1 WHERE id = $2::uuid", ext, user_id)
        ids.append(str(user_id))
    return ids


def campaigns_flowing(extensions: list[str], max_calls: int = 24, leads_per_campaign: int = 300):
    settings = {**SETTINGS, "max_concurrent_calls": max_calls}

    async def job(daemon: Daemon) -> None:
        desk = daemon.desk  # built by the dialing stage, before the intake stage runs this job
        for user_id in await ensure_operators(daemon, extensions):
            await desk.set_operator_status(user_id, "online")
        events = daemon.events.subscribe(["campaign.call_connected", "campaign.call_ended"], maxsize=10_000)
        rng = random.Random()
        try:
            round_no = 0
            while True:
                round_no += 1
                leads = [{"phone": f"+79{rng.randint(100_000_000, 999_999_999)}", "name": f"Demo lead {i}"}
                         for i in range(leads_per_campaign)]
                created = await desk.create_campaign(f"Demo campaign {round_no}", leads, settings, None)
                await desk.run_campaign(str(created["id"]), None, None)
                log.info("demo campaign %s running with %d leads", created["id"], leads_per_campaign)
                await _operators_work(desk, events, str(created["id"]), rng)
        finally:
            events.close()

    return job


async def _operators_work(desk: Any, events: Subscription, campaign_id: str, rng: random.Random) -> None:
    """Until the campaign completes: each call an operator had gets a disposition when it ends."""
    on_call: dict[str, str] = {}
    codes = [c for c, _ in DISPOSITIONS]
    weights = [w for _, w in DISPOSITIONS]
    while True:
        try:
            event = await asyncio.wait_for(events.get(), 2.0)
        except TimeoutError:
            status = await desk.campaign_status(campaign_id)
            if status["status"] != "running":
                return
            continue
        data = event.data
        if event.topic == "campaign.call_connected" and data.get("operator_id"):
            on_call[str(data["call_id"])] = str(data["operator_id"])
        elif event.topic == "campaign.call_ended" and str(data.get("call_id")) in on_call:
            operator = on_call.pop(str(data["call_id"]))
            with contextlib.suppress(Exception):
                await desk.add_disposition(str(data["call_id"]), rng.choices(codes, weights)[0], "", operator)
