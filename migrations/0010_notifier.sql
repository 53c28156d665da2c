-- vssd schema, version 9: the notifier (issue 12). Webhook subscriptions to catalogue events, and every delivery
-- (WebSocket, email, webhook) with its state, so a delivery that was pending when the daemon stopped resumes at
-- the next start (at-least-once; the delivery id is the receiver's idempotency key). Applied once, in one
-- transaction; never edit after release.
CREATE TABLE notifier_webhooks (
    id           text        PRIMARY KEY DEFAULT ('wh_' || replace(gen_random_uuid()::text, '-', '')),
    url          text        NOT NULL CHECK (url ~ '^https?://'),
    events       jsonb       NOT NULL DEFAULT '[]'::jsonb,   -- catalogue event names
    secret       text        NOT NULL,                       -- HMAC-SHA256 key; never returned by the API
    description  text        NOT NULL DEFAULT '',
    active       boolean     NOT NULL DEFAULT true,
    created_by   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notifier_deliveries (
    id               text        PRIMARY KEY,                -- also the Idempotency-Key a receiver sees
    notification_id  text,                                   -- the send (or the event) it belongs to
    channel          text        NOT NULL CHECK (channel IN ('websocket', 'email', 'webhook')),
    recipient        text        NOT NULL,                   -- user id, e-mail address or URL
    event            text        NOT NULL,                   -- catalogue event name (`notification`, …)
    webhook_id       text        REFERENCES notifier_webhooks (id) ON DELETE SET NULL,
    title            text        NOT NULL DEFAULT '',
    body             text        NOT NULL,                   -- the exact bytes a webhook is signed over
    state            text        NOT NULL DEFAULT 'queued'
                     CHECK (state IN ('queued', 'sent', 'failed', 'retrying', 'dead')),
    attempts         integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error       text,
    next_attempt_at  timestamptz,
    sent_at          timestamptz,
    created_by       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifier_deliveries_pending_idx ON notifier_deliveries (next_attempt_at)
    WHERE state IN ('queued', 'retrying');
CREATE INDEX notifier_deliveries_created_idx ON notifier_deliveries (created_at DESC, id);
CREATE INDEX notifier_deliveries_notification_idx ON notifier_deliveries (notification_id);
