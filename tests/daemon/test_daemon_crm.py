"""CRM leads pushed into an autodialer campaign through the daemon's real HTTP API, dialled through the PBX
simulator: each call's outcome and the operator's disposition update the CRM lead (status, last call, history)
— the autodialer's rows point at it, and the same writes that record the outcome and the disposition move it."""

from __future__ import annotations

from pathlib import Path

from test_daemon_dialer import dialer_hub, finished, operators_online

from vssd.adapters.store_users import add_user


async def test_a_pushed_leads_call_outcome_and_disposition_update_the_crm_lead(tmp_path: Path) -> None:
    async with dialer_hub(tmp_path) as (hub, api):
        await operators_online(hub, api, 4)
        seller = await add_user(hub.daemon.store, "crm_seller", "seller-pass", role="seller")
        leads = []
        for n in range(8):
            status, lead = await api.call("POST", "/api/crm/leads", json={
                "client_name": f"Клиент {n}", "phone": f"+7999{n + 2000:07d}", "assigned_seller": seller})
            assert status == 201, lead
            leads.append(lead["id"])
        status, bad = await api.call("POST", "/api/crm/leads", json={"client_name": "Плохой", "phone": "+9990000001"})
        assert status == 201
        status, campaign = await api.call("POST", "/api/autodialer/campaigns", json={
            "name": "crm", "settings": {"policy": "none", "mode": "progressive", "retry_count": 0,
                                        "ring_timeout_s": 15}})
        assert status == 201, campaign
        cid = str(campaign["id"])
        status, pushed = await api.call("POST", f"/api/crm/leads/{leads[0]}/push", json={"campaign_id": cid})
        assert status == 201 and pushed["pushed"] == 1, pushed
        status, pushed = await api.call("POST", "/api/crm/leads/push", json={"campaign_id": cid, "lead_ids": leads[1:]})
        assert status == 201 and pushed["pushed"] == 7 and pushed["rejected"] == [], pushed
        # the import's rules apply: a campaign with the default compliance policy refuses an invalid number
        _, strict = await api.call("POST", "/api/autodialer/campaigns", json={"name": "strict"})
        status, refused = await api.call("POST", "/api/crm/leads/push",
                                         json={"campaign_id": str(strict["id"]), "lead_ids": [bad["id"]]})
        assert status == 201 and refused["pushed"] == 0, refused
        assert [(r["crm_lead_id"], r["reason"]) for r in refused["rejected"]] == [(bad["id"], "invalid_number")]
        _, still = await api.call("GET", f"/api/crm/leads/{bad['id']}")
        assert still["status"] == "new" and still["campaign_id"] is None
        _, queued = await api.call("GET", f"/api/crm/leads/{leads[3]}")
        assert queued["status"] == "queued" and queued["campaign_id"] == cid

        status, _ = await api.call("POST", "/api/autodialer/run-campaign", json={"campaign_id": cid})
        assert status == 200
        await finished(api, cid)
        await hub.flush()
        rows = await hub.query("SELECT l.crm_lead_id::text AS crm, a.attempt_id, a.outcome FROM autodialer_leads l "
                               "JOIN dial_attempts a ON a.lead_id = l.id WHERE l.campaign_id = $1", cid)
        assert {r["crm"] for r in rows} == set(leads), "one attempt per pushed lead, each pointing at its CRM lead"
        expected = {"answered": "contacted", "invalid_number": "invalid"}
        answered = None
        for row in rows:
            _, lead = await api.call("GET", f"/api/crm/leads/{row['crm']}")
            assert lead["last_call_id"] == row["attempt_id"] and lead["last_outcome"] == row["outcome"]
            assert lead["calls_count"] == 1 and lead["last_call_at"] is not None
            assert lead["status"] == expected.get(row["outcome"], "no_answer"), (lead, row["outcome"])
            _, history = await api.call("GET", f"/api/crm/leads/{row['crm']}/history")
            assert [(h["event"], h["to_status"]) for h in history["history"]] == [
                ("created", "new"), ("pushed", "queued"), ("call", lead["status"])]
            assert history["history"][2]["call_id"] == row["attempt_id"]
            if row["outcome"] == "answered":
                answered = row
        assert answered is not None, "some call answered (the simulator's weights)"

        status, body = await api.call("POST", "/api/autodialer/dispositions",
                                      json={"call_id": answered["attempt_id"], "code": "sale", "notes": "купил"})
        assert status in (200, 201), body
        _, lead = await api.call("GET", f"/api/crm/leads/{answered['crm']}")
        assert lead["status"] == "won" and lead["last_disposition"] == "sale"
        _, history = await api.call("GET", f"/api/crm/leads/{answered['crm']}/history")
        last = history["history"][-1]
        assert (last["event"], last["from_status"], last["to_status"], last["call_id"]) == \
            ("disposition", "contacted", "won", answered["attempt_id"])
        assert last["details"] == {"code": "sale", "notes": "купил"}
        # one lead, not two: the autodialer's row is the CRM lead's
        status, call_lead = await api.call("GET", f"/api/autodialer/calls/{answered['attempt_id']}/lead")
        if status == 200:
            assert call_lead["lead"]["data"]["crm_lead_id"] == answered["crm"]
