-- vssd schema, version 12: two coarser rollups beside `call_rollup_hourly` (migration 0004), so a month of
-- dashboard figures reads about a thousand rows instead of every hourly row four times (issue 11).
-- `call_rollup_daily` holds the hourly sums per UTC day under the same key; `call_rollup_hours` holds per UTC
-- hour only what the calls-per-hour plot needs (calls, answered, missed: ended and not answered). The batch
-- writer keeps both in the same transaction step as the hourly rollup (vssd/adapters/store_rollup.py), so each
-- always equals a fresh aggregation of `call_rollup_source`. Backfilled from the hourly rollup, which equals it.
-- Applied once, in one transaction; never edit after release.
CREATE TABLE call_rollup_daily (
    day          timestamptz      NOT NULL,                -- the UTC day the calls were dialled in (its midnight)
    user_id      uuid             NOT NULL,
    campaign_id  text             NOT NULL,
    outcome      text             NOT NULL,
    ended        boolean          NOT NULL,
    answered     boolean          NOT NULL,
    calls        bigint           NOT NULL DEFAULT 0,
    talk_s       double precision NOT NULL DEFAULT 0,
    talk_n       bigint           NOT NULL DEFAULT 0,
    ring_s       double precision NOT NULL DEFAULT 0,
    ring_n       bigint           NOT NULL DEFAULT 0,
    within_sla   bigint           NOT NULL DEFAULT 0,
    PRIMARY KEY (day, user_id, campaign_id, outcome, ended, answered)
);
CREATE INDEX call_rollup_daily_user_idx ON call_rollup_daily (user_id, day);

CREATE TABLE call_rollup_hours (
    bucket    timestamptz PRIMARY KEY,                     -- the UTC hour, as in call_rollup_hourly
    calls     bigint      NOT NULL DEFAULT 0,
    answered  bigint      NOT NULL DEFAULT 0,
    missed    bigint      NOT NULL DEFAULT 0
);

INSERT INTO call_rollup_daily
SELECT date_trunc('day', bucket AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', user_id, campaign_id, outcome, ended, answered,
       sum(calls), sum(talk_s), sum(talk_n), sum(ring_s), sum(ring_n), sum(within_sla)
FROM call_rollup_hourly
GROUP BY 1, user_id, campaign_id, outcome, ended, answered;

INSERT INTO call_rollup_hours
SELECT bucket, sum(calls), COALESCE(sum(calls) FILTER (WHERE answered), 0),
       COALESCE(sum(calls) FILTER (WHERE ended AND NOT answered), 0)
FROM call_rollup_hourly
GROUP BY bucket;
