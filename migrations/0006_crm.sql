-- vssd schema, version 11: the CRM's leads (the routes reference's "CRM функционал"). A CRM lead is the one
-- record a seller works; pushed into an autodialer campaign it gets an autodialer_leads row that points back at
-- it (crm_lead_id), and the call outcomes and operators' dispositions of that row update it in the same
-- statement or transaction that records them (vssd/adapters/store_crm_sync.py). Applied once, in one
-- transaction; never edit after release.

-- What a lead went through; statuses of vssd/adapters/store_crm_leads.py (CRM_STATUSES).
ALTER TABLE crm_leads
    ADD COLUMN created_by        uuid        REFERENCES users (id) ON DELETE SET NULL,
    ADD COLUMN last_call_id      text,                       -- the latest call (attempt id = the API's c_<n>)
    ADD COLUMN last_call_at      timestamptz,
    ADD COLUMN last_outcome      text,                       -- that call's outcome (answered, busy …)
    ADD COLUMN last_disposition  text,                       -- the operator's latest disposition code
    ADD COLUMN calls_count       integer     NOT NULL DEFAULT 0;
ALTER TABLE crm_leads ADD CONSTRAINT crm_leads_status_check CHECK (status IN
    ('new', 'queued', 'no_answer', 'contacted', 'callback', 'qualified', 'won', 'lost', 'dnc', 'invalid'));

-- The list's orders and filters: newest first, alone or within a status or a seller.
CREATE INDEX crm_leads_created_idx ON crm_leads (created_at DESC, id DESC);
CREATE INDEX crm_leads_status_created_idx ON crm_leads (status, created_at DESC, id DESC);
CREATE INDEX crm_leads_seller_created_idx ON crm_leads (assigned_seller, created_at DESC, id DESC);
DROP INDEX crm_leads_status_idx;
DROP INDEX crm_leads_seller_idx;

-- Text search on name and phone (`q`, an infix ILIKE): trigram GIN indexes when this PostgreSQL ships
-- pg_trgm; else btree indexes on the lowered name and the phone, which serve prefix matches.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
        CREATE INDEX crm_leads_name_trgm_idx ON crm_leads USING gin (client_name gin_trgm_ops);
        CREATE INDEX crm_leads_phone_trgm_idx ON crm_leads USING gin (phone gin_trgm_ops);
    ELSE
        CREATE INDEX crm_leads_name_prefix_idx ON crm_leads (lower(client_name) text_pattern_ops);
        CREATE INDEX crm_leads_phone_prefix_idx ON crm_leads (phone text_pattern_ops);
    END IF;
END
$$;

-- Every status change and what caused it: created, updated (by a person), pushed (into a campaign), call (an
-- outcome), disposition (an operator's).
CREATE TABLE crm_lead_history (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    lead_id      uuid        NOT NULL REFERENCES crm_leads (id) ON DELETE CASCADE,
    event        text        NOT NULL CHECK (event IN ('created', 'updated', 'pushed', 'call', 'disposition')),
    from_status  text,
    to_status    text        NOT NULL,
    call_id      text,
    campaign_id  text,
    actor_id     uuid        REFERENCES users (id) ON DELETE SET NULL,
    details      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX crm_lead_history_lead_idx ON crm_lead_history (lead_id, at, id);

-- The autodialer's copy of a pushed CRM lead points back at it.
ALTER TABLE autodialer_leads ADD COLUMN crm_lead_id uuid REFERENCES crm_leads (id) ON DELETE SET NULL;
CREATE INDEX autodialer_leads_crm_idx ON autodialer_leads (crm_lead_id) WHERE crm_lead_id IS NOT NULL;
