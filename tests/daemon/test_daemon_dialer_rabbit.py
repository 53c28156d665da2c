"""A 500-lead campaign through 50 slots over real RabbitMQ and PostgreSQL (issue 5 acceptance): every lead
ends in a final state and the campaign's counts add up to the PBX simulator's ledger."""

from __future__ import annotations

import uuid
from collections import Counter
from pathlib import Path

import pytest
from test_daemon_dialer import dialer_hub, finished, operators_online, run_campaign

from tests.conftest import require_service
from vssd.adapters.amqp import AmqpSettings, delete_topology

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
SLOTS = [f"6{n:03d}" for n in range(100, 150)]
AGENTS = [str(2001 + i) for i in range(12)]


@pytest.mark.timeout(300)
async def test_500_leads_through_50_slots_over_rabbitmq_add_up_to_the_ledger(tmp_path: Path) -> None:
    require_service("RabbitMQ", 5672)
    prefix = f"t{uuid.uuid4().hex[:8]}."
    try:
        async with dialer_hub(tmp_path, slots=SLOTS, agents=AGENTS, time_scale=200.0, talk_mean_s=20.0,
                              VSSD_AMQP_URL=AMQP_URL, VSSD_AMQP__QUEUE_PREFIX=prefix) as (hub, api):
            assert type(hub.daemon.bus).__name__ == "AmqpBus"
            await operators_online(hub, api, len(AGENTS), AGENTS)
            numbers = [f"+7993{n:07d}" for n in range(500)]
            campaign = await run_campaign(api, numbers, {"policy": "none", "mode": "ratio", "ratio": 3,
                                                         "retry_count": 0, "max_concurrent_calls": 50})
            status = await finished(api, campaign, timeout_s=240.0)
            leads = await hub.query("SELECT status FROM autodialer_leads WHERE campaign_id = $1", campaign)
            attempts = await hub.query("SELECT attempt_id, number, outcome, answered, abandoned FROM dial_attempts "
                                       "WHERE campaign_id = $1", campaign)
            ledger = {o.action_id: o for o in hub.pbx.ledger.originates}
            assert len(leads) == 500 and {r["status"] for r in leads} <= {"done", "failed"}
            assert {a["attempt_id"] for a in attempts} == set(ledger)
            assert max(Counter(a["number"] for a in attempts).values()) == 1, "retry_count 0: never twice"
            answered = sum(1 for o in ledger.values() if o.outcome == "answered")
            assert status["attempts"] == len(ledger) == 500
            assert status["answered"] == answered
            assert status["abandoned"] == len(hub.pbx.ledger.abandons) == sum(a["abandoned"] for a in attempts)
            assert status["statuses"]["done"] == answered - 0 and status["unknown"] == 0
    finally:
        await delete_topology(AmqpSettings(url=AMQP_URL, prefix=prefix))
