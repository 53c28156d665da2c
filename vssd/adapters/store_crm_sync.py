"""What the autodialer's writes do to the CRM lead they dial (`autodialer_leads.crm_lead_id`, migration 0006).

One lead, not two tables: the statement that makes a call's attempt final (`store_leads._FINISH_ATTEMPTS`) ends
with `AFTER_OUTCOMES`, and the transaction that records an operator's disposition
(`store_operators.add_disposition`) calls `after_disposition` — so a CRM lead is updated with the write that
decides it or not at all, never by polling.

A call's outcome sets the lead's last call (id, time, outcome, count) and moves an automatic status (new,
queued, no_answer, contacted): answered → contacted, invalid_number → invalid, any other → no_answer. A status an
operator or a seller set (callback, qualified, won, lost, dnc, invalid) is theirs: an outcome never overrides
it. A disposition always sets the status its code maps to (`DISPOSITION_STATUS`).
"""

from __future__ import annotations

import uuid

import asyncpg

AUTOMATIC = ("new", "queued", "no_answer", "contacted")
DISPOSITION_STATUS = {"sale": "won", "callback": "callback", "not_interested": "lost", "dnc": "dnc",
                      "wrong_number": "invalid", "no_answer": "no_answer", "voicemail": "no_answer",
                      "other": "contacted"}
_AUTOMATIC_SQL = ", ".join(f"'{s}'" for s in AUTOMATIC)

# Appended to a statement whose last CTE is `l` (the autodialer leads it moved, RETURNING crm_lead_id,
# attempt_id, outcome, campaign_id): the linked CRM leads updated and their history written.
AFTER_OUTCOMES = f"""
, crm_old AS (
    SELECT DISTINCT ON (c.id) c.id, c.status, l.attempt_id, l.outcome, l.campaign_id
    FROM l JOIN crm_leads c ON c.id = l.crm_lead_id
    ORDER BY c.id, l.attempt_id
), crm AS (
    UPDATE crm_leads c
    SET status = CASE WHEN c.status NOT IN ({_AUTOMATIC_SQL}) THEN c.status
                      WHEN o.outcome = 'answered' THEN 'contacted'
                      WHEN o.outcome = 'invalid_number' THEN 'invalid' ELSE 'no_answer' END,
        last_call_id = o.attempt_id, last_call_at = now(), last_outcome = o.outcome,
        calls_count = c.calls_count + 1, updated_at = now()
    FROM crm_old o WHERE c.id = o.id
    RETURNING c.id, c.status
)
INSERT INTO crm_lead_history (lead_id, event, from_status, to_status, call_id, campaign_id, details)
SELECT o.id, 'call', o.status, crm.status, o.attempt_id, o.campaign_id, jsonb_build_object('outcome', o.outcome)
FROM crm_old o JOIN crm ON crm.id = o.id
"""

_AFTER_DISPOSITION = """
WITH src AS (
    SELECT al.crm_lead_id AS id, al.campaign_id FROM autodialer_leads al
    WHERE al.crm_lead_id IS NOT NULL
      AND (al.id = $2 OR al.id = (SELECT lead_id FROM dial_attempts WHERE attempt_id = $1))
    LIMIT 1
), old AS (
    SELECT c.id, c.status, src.campaign_id FROM crm_leads c JOIN src ON c.id = src.id FOR UPDATE OF c
), upd AS (
    UPDATE crm_leads c SET status = $3, last_disposition = $4, updated_at = now()
    FROM old WHERE c.id = old.id RETURNING c.id
)
INSERT INTO crm_lead_history (lead_id, event, from_status, to_status, call_id, campaign_id, actor_id, details)
SELECT old.id, 'disposition', old.status, $3, $1, old.campaign_id,
       (SELECT user_id FROM operators WHERE id::text = $5),
       jsonb_build_object('code', $4::text, 'notes', $6::text)
FROM old JOIN upd ON upd.id = old.id
"""


async def after_disposition(conn: asyncpg.Connection, attempt_id: str | None, lead_id: int | None, code: str,
                            operator_id: str | None, notes: str) -> None:
    """Inside the disposition's transaction: the CRM lead the call dialled (if any) takes the code's status."""
    status = DISPOSITION_STATUS.get(code)
    if status is None:
        return
    await conn.execute(_AFTER_DISPOSITION, attempt_id, lead_id, status, code, operator_id, notes)


_AFTER_PUSH = f"""
WITH i AS (
    SELECT DISTINCT ON (id) id, actor FROM unnest($2::uuid[], $3::uuid[]) AS i(id, actor)
), old AS (
    SELECT c.id, c.status, i.actor FROM crm_leads c JOIN i ON i.id = c.id FOR UPDATE OF c
), upd AS (
    UPDATE crm_leads c
    SET status = CASE WHEN c.status IN ({_AUTOMATIC_SQL}) THEN 'queued' ELSE c.status END, campaign_id = $1,
        updated_at = now()
    FROM old WHERE c.id = old.id
    RETURNING c.id, c.status
)
INSERT INTO crm_lead_history (lead_id, event, from_status, to_status, campaign_id, actor_id)
SELECT old.id, 'pushed', old.status, upd.status, $1, old.actor FROM old JOIN upd ON upd.id = old.id
"""


async def after_push(conn: asyncpg.Connection, campaign_id: str, pushed: list[tuple[str, str | None]]) -> None:
    """Inside the import's transaction: each pushed CRM lead (id, who pushed it) names its campaign and, from an
    automatic status, becomes `queued`; its history says so."""
    if pushed:
        await conn.execute(_AFTER_PUSH, campaign_id, [uuid.UUID(str(c)) for c, _ in pushed],
                           [uuid.UUID(str(a)) if a else None for _, a in pushed])
