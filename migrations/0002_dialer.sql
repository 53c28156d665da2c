-- vssd schema, version 2: the autodialer's record (issue 5). PostgreSQL holds every lead's state and every
-- dial attempt; RabbitMQ is only the work list. Applied once, in one transaction; never edit after release.

-- Leads: the statuses of vssd/actors/dialer_ports.py. 0001 had 'held', which no code wrote; a held lead
-- becomes pending (stored, not yet published) so a run of its campaign picks it up.
UPDATE autodialer_leads SET status = 'pending', updated_at = now() WHERE status = 'held';
ALTER TABLE autodialer_leads DROP CONSTRAINT autodialer_leads_status_check;
ALTER TABLE autodialer_leads ADD CONSTRAINT autodialer_leads_status_check CHECK (status IN
    ('pending', 'queued', 'dialing', 'retry', 'done', 'failed', 'dnc', 'expired', 'unknown', 'cancelled'));
ALTER TABLE autodialer_leads
    ADD COLUMN phone_e164       text,           -- the parsed number, when the import could parse it
    ADD COLUMN last_attempt_id  text,           -- the latest dial_attempts.attempt_id (= calls.attempt_id)
    ADD COLUMN final_reason     text,           -- why a final status (outcome, dnc, invalid_number, expired …)
    ADD COLUMN defer_reason     text,           -- why the gate last deferred it (window, busy, cap …)
    ADD COLUMN tz               text;           -- an IANA zone, if the import gave one
CREATE INDEX autodialer_leads_e164_idx ON autodialer_leads (phone_e164) WHERE phone_e164 IS NOT NULL;
-- Status-only lookups (no campaign) the admin needs: leads dialing (recovery) and unknown (requeue). Partial,
-- so an import of pending leads does not pay for it; other status-only filters scan.
CREATE INDEX autodialer_leads_attention_idx ON autodialer_leads (status, id) WHERE status IN ('dialing', 'unknown');

-- One row per dial attempt, reserved (committed) before the Originate is written. attempt_id is the
-- Originate ActionID = the call id `c_<n>` = calls.attempt_id. No foreign keys: the compliance record
-- outlives a deleted campaign or lead. lead_id/campaign_id are NULL for a manual call the gate counted.
CREATE TABLE dial_attempts (
    attempt_id   text             PRIMARY KEY,
    lead_id      bigint,
    campaign_id  text,
    slot_id      text             NOT NULL,
    sim_key      text,                                           -- ICCID or IMSI of the SIM that dialled
    number       text             NOT NULL,                      -- E.164
    attempt_no   integer          NOT NULL DEFAULT 1,
    state        text             NOT NULL DEFAULT 'reserved' CHECK (state IN ('reserved', 'final', 'unknown')),
    outcome      text,
    answered     boolean          NOT NULL DEFAULT false,        -- every answered call, abandoned ones too
    abandoned    boolean          NOT NULL DEFAULT false,
    operator_id  text,
    talk_s       double precision,
    reserved_at  timestamptz      NOT NULL DEFAULT now(),
    ended_at     timestamptz,
    CONSTRAINT dial_attempts_abandoned_answered CHECK (NOT abandoned OR answered)
);
CREATE INDEX dial_attempts_campaign_at_idx ON dial_attempts (campaign_id, reserved_at);
CREATE INDEX dial_attempts_number_at_idx ON dial_attempts (number, reserved_at);
CREATE INDEX dial_attempts_sim_at_idx ON dial_attempts (sim_key, reserved_at) WHERE sim_key IS NOT NULL;
CREATE INDEX dial_attempts_at_idx ON dial_attempts (reserved_at);
CREATE INDEX dial_attempts_open_idx ON dial_attempts (reserved_at) WHERE state = 'reserved';
CREATE INDEX dial_attempts_lead_idx ON dial_attempts (lead_id) WHERE lead_id IS NOT NULL;
CREATE INDEX dial_attempts_operator_idx ON dial_attempts (operator_id, reserved_at) WHERE operator_id IS NOT NULL;

-- Do-not-call list (the gate loads it at start).
CREATE TABLE dnc_numbers (
    number_e164  text        PRIMARY KEY,
    source       text        NOT NULL CHECK (source IN ('manual', 'disposition', 'import')),
    reason       text        NOT NULL DEFAULT '',
    created_by   uuid        REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dnc_numbers_created_idx ON dnc_numbers (created_at DESC);

-- Messages that reached the dead-letter queue, with their reason (expired, rejected, poison:<why> …).
-- A redelivered dead letter (same message id and reason) is stored once.
CREATE TABLE dead_letters (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue        text        NOT NULL,
    reason       text        NOT NULL,
    message_id   text,
    lead_id      bigint,
    campaign_id  text,                                           -- the lead's, when it is known
    body         text        NOT NULL DEFAULT '',
    headers      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX dead_letters_message_key ON dead_letters (message_id, reason) WHERE message_id IS NOT NULL;
CREATE INDEX dead_letters_created_idx ON dead_letters (created_at DESC);
CREATE INDEX dead_letters_campaign_idx ON dead_letters (campaign_id, created_at DESC) WHERE campaign_id IS NOT NULL;
CREATE INDEX dead_letters_reason_idx ON dead_letters (reason, created_at DESC);

-- Operators (seed 004): one per user who takes campaign calls.
CREATE TABLE operators (
    id                    uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id               uuid        NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    extension             text        UNIQUE,
    status                text        NOT NULL DEFAULT 'offline'
                          CHECK (status IN ('online', 'busy', 'offline', 'wrapup')),
    group_id              text,
    skills                jsonb       NOT NULL DEFAULT '[]'::jsonb,
    max_concurrent_calls  integer     NOT NULL DEFAULT 1 CHECK (max_concurrent_calls >= 1),
    last_activity         timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX operators_status_idx ON operators (status);
CREATE INDEX operators_group_idx ON operators (group_id) WHERE group_id IS NOT NULL;

-- Operators' dispositions of answered calls; code 'dnc' also puts the number on dnc_numbers.
CREATE TABLE dispositions (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    attempt_id   text,
    lead_id      bigint,
    operator_id  text,
    code         text        NOT NULL,
    notes        text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dispositions_attempt_idx ON dispositions (attempt_id);
CREATE INDEX dispositions_lead_idx ON dispositions (lead_id) WHERE lead_id IS NOT NULL;
CREATE INDEX dispositions_operator_idx ON dispositions (operator_id, created_at DESC);
