-- vssd schema, version 5: system alerts kept for the console (issue 11). Every `system.alert` event is stored
-- under the id its payload carries, so a live alert can be acknowledged by that id; acknowledging sets
-- acknowledged_at/by once (a second acknowledgement changes nothing). Applied once, in one transaction; never
-- edit after release.
CREATE TABLE system_alerts (
    id               uuid        PRIMARY KEY,
    at               timestamptz NOT NULL,
    severity         text        NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    source           text        NOT NULL DEFAULT '',
    message          text        NOT NULL DEFAULT '',
    details          jsonb       NOT NULL DEFAULT '{}'::jsonb,
    acknowledged_at  timestamptz,
    acknowledged_by  text
);
CREATE INDEX system_alerts_at_idx ON system_alerts (at DESC, id DESC);
CREATE INDEX system_alerts_open_idx ON system_alerts (at DESC) WHERE acknowledged_at IS NULL;
