-- vssd schema, version 4: the dashboards' call figures (issue 11). `call_rollup_source` is THE definition of what
-- one stored call adds to the figures (its UTC hour, operator, campaign, outcome, whether it ended and was
-- answered, its talk and ring seconds, whether it met the 20 s service level); `call_rollup_hourly` holds their
-- sums per hour. The batch writer keeps the sums inside its own transaction (vssd/adapters/store_rollup.py: the
-- contributions of the calls a batch touches are taken away before the upsert and added back after it), so a
-- dashboard reads at most a month of hourly rows, never every call. `calls_at_idx` serves the partial hours at
-- the edges of a period that is not cut at whole UTC hours (a time zone at :30 or :45).
-- Applied once, in one transaction; never edit after release.
CREATE INDEX calls_at_idx ON calls ((COALESCE(originated_at, created_at)));

CREATE VIEW call_rollup_source AS
SELECT attempt_id,
       COALESCE(originated_at, created_at) AS at,
       date_trunc('hour', COALESCE(originated_at, created_at) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
       COALESCE(user_id, '00000000-0000-0000-0000-000000000000'::uuid) AS user_id,
       COALESCE(campaign_id, '') AS campaign_id,
       COALESCE(outcome, '') AS outcome,
       status = 'ENDED' AS ended,
       answered,
       1::bigint AS calls,
       CASE WHEN answered AND talk_s IS NOT NULL THEN talk_s ELSE 0 END AS talk_s,
       (answered AND talk_s IS NOT NULL)::int::bigint AS talk_n,
       CASE WHEN answered AND ring_s IS NOT NULL THEN ring_s ELSE 0 END AS ring_s,
       (answered AND ring_s IS NOT NULL)::int::bigint AS ring_n,
       (answered AND COALESCE(ring_s, 0) <= 20)::int::bigint AS within_sla
FROM (SELECT c.*, (c.answered_at IS NOT NULL OR COALESCE(c.outcome IN ('answered', 'abandoned'), false)) AS answered
      FROM calls c) c;

CREATE TABLE call_rollup_hourly (
    bucket       timestamptz      NOT NULL,                -- the UTC hour the calls were dialled in
    user_id      uuid             NOT NULL,                -- the operator; the nil uuid for none
    campaign_id  text             NOT NULL,                -- '' for manual calls
    outcome      text             NOT NULL,                -- '' while the call is live
    ended        boolean          NOT NULL,
    answered     boolean          NOT NULL,
    calls        bigint           NOT NULL DEFAULT 0,
    talk_s       double precision NOT NULL DEFAULT 0,      -- sums over the answered calls (ACD = talk_s / talk_n)
    talk_n       bigint           NOT NULL DEFAULT 0,
    ring_s       double precision NOT NULL DEFAULT 0,
    ring_n       bigint           NOT NULL DEFAULT 0,
    within_sla   bigint           NOT NULL DEFAULT 0,
    PRIMARY KEY (bucket, user_id, campaign_id, outcome, ended, answered)
);
CREATE INDEX call_rollup_user_idx ON call_rollup_hourly (user_id, bucket);

INSERT INTO call_rollup_hourly
SELECT bucket, user_id, campaign_id, outcome, ended, answered, sum(calls), sum(talk_s), sum(talk_n), sum(ring_s),
       sum(ring_n), sum(within_sla)
FROM call_rollup_source
GROUP BY bucket, user_id, campaign_id, outcome, ended, answered;
