-- DCI: pipeline runs (their state survives a restart: a run in flight at start becomes `interrupted`) and the DCI
-- log (pipeline output, posted log events, the daemon's own warnings and errors), pruned by age and count.

CREATE TABLE dci_pipeline_runs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pipeline      text        NOT NULL,                               -- the pipeline's name (cdr-export …)
    status        text        NOT NULL CHECK (status IN ('queued', 'running', 'success', 'failed', 'cancelled',
                                                         'interrupted')),
    triggered_by  text,
    params        jsonb       NOT NULL DEFAULT '{}',
    step          text,                                               -- the step running or that ended the run
    exit_code     integer,
    error         text,
    last_lines    jsonb       NOT NULL DEFAULT '[]',                  -- the output's last lines
    start_time    timestamptz NOT NULL DEFAULT now(),
    end_time      timestamptz
);
CREATE INDEX dci_pipeline_runs_pipeline_idx ON dci_pipeline_runs (pipeline, id DESC);
CREATE INDEX dci_pipeline_runs_open_idx ON dci_pipeline_runs (status) WHERE status IN ('queued', 'running');

CREATE TABLE dci_logs (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    module     text        NOT NULL CHECK (module IN ('OTTB', 'POINT', 'DCI', 'WORKSPACE')),
    severity   text        NOT NULL CHECK (severity IN ('debug', 'info', 'warning', 'error', 'critical')),
    message    text        NOT NULL,
    context    jsonb       NOT NULL DEFAULT '{}',
    user_id    text,
    pipeline   text,
    run_id     bigint
);
CREATE INDEX dci_logs_at_idx ON dci_logs USING brin (at);               -- retention by age (rows come in time order)
CREATE INDEX dci_logs_module_idx ON dci_logs (module, severity, id DESC);
CREATE INDEX dci_logs_run_idx ON dci_logs (run_id, id) WHERE run_id IS NOT NULL;
