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

-- The list's orders and filters: newest first, alone or within a status, a seller, or a seller's status (the
-- page walks one of these; the capped count reads it alone). bench/crm.py measures them at a million leads.
CREATE INDEX crm_leads_created_idx ON crm_leads (created_at DESC, id DESC);
CREATE INDEX crm_leads_status_created_idx ON crm_leads (status, created_at DESC, id DESC);
CREATE INDEX crm_leads_seller_created_idx ON crm_leads (assigned_seller, created_at DESC, id DESC);
CREATE INDEX crm_leads_seller_status_created_idx ON crm_leads (assigned_seller, status, created_at DESC, id DESC);
DROP INDEX crm_leads_status_idx;
DROP INDEX crm_leads_seller_idx;

-- Text search (`q`): the name's infix (ILIKE '%…%') and the phone's digits' infix (LIKE '%…%' on the
-- expression below, the query's digits: "+7 (999) 047" finds "+79990471234"). With pg_trgm and btree_gin, one
-- trigram GIN index over (seller, status, name): a search within a seller or a status is a single GIN scan, not
-- the AND of two large bitmaps; GIN serves any subset of its columns, so it serves the name alone too. Without
-- them, btree indexes on the lowered name and the phone's digits, which serve prefix matches only.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm')
       AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'btree_gin') THEN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
        CREATE EXTENSION IF NOT EXISTS btree_gin;
        CREATE INDEX crm_leads_text_idx ON crm_leads USING gin (assigned_seller, status, client_name gin_trgm_ops);
        CREATE INDEX crm_leads_phone_digits_trgm_idx ON crm_leads
            USING gin ((regexp_replace(phone, '[^0-9]+', '', 'g')) gin_trgm_ops);
    ELSE
        CREATE INDEX crm_leads_name_prefix_idx ON crm_leads (lower(client_name) text_pattern_ops);
        CREATE INDEX crm_leads_phone_digits_prefix_idx ON crm_leads
            ((regexp_replace(phone, '[^0-9]+', '', 'g')) text_pattern_ops);
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
