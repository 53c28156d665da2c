"""The pipelines a hub admin runs, shipped with vssd. Python work runs as `python -m vssd dci …` subcommands
(`vssd/dci_cli.py`) so that every step is a child process the runner can stream, time out and stop."""

from __future__ import annotations

from vssd.dci.pipelines import BASE_ENV, Pipeline, Step

DB_ENV = (*BASE_ENV, "VSSD_DCI_DSN")
PG_ENV = (*BASE_ENV, "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGSSLMODE")
DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
VSSD = ("{python}", "-m", "vssd")


def builtin_pipelines() -> list[Pipeline]:
    return [
        Pipeline(1, "cdr-export", "Call records (CDR) of a date range as CSV or Parquet, into the export directory",
                 (Step("export", (*VSSD, "dci", "export-cdr", "--from", "{date_from}", "--to", "{date_to}",
                                  "--format", "{format}", "--out-dir", "{export_dir}"), env_allow=DB_ENV,
                       timeout_s=1800),),
                 {"type": "object", "required": ["date_from", "date_to"], "additionalProperties": False,
                  "properties": {"date_from": {**DATE, "title": "from (YYYY-MM-DD, UTC)"},
                                 "date_to": {**DATE, "title": "to (YYYY-MM-DD, inclusive)"},
                                 "format": {"enum": ["csv", "parquet"], "default": "csv", "title": "format"}}},
                 inject_dsn=True),
        Pipeline(2, "lead-import", "Leads from a CSV file of the import directory into an autodialer campaign",
                 (Step("import", (*VSSD, "dci", "import-leads", "--campaign", "{campaign_id}", "--file",
                                  "{import_dir}/{file}"), env_allow=DB_ENV, timeout_s=1800),),
                 {"type": "object", "required": ["campaign_id", "file"], "additionalProperties": False,
                  "properties": {"campaign_id": {"type": "string", "pattern": r"^[A-Za-z0-9_.-]{1,64}$",
                                                 "title": "campaign"},
                                 "file": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$",
                                          "title": "file (in the import directory)"}}},
                 inject_dsn=True),
        Pipeline(3, "db-backup", "A pg_dump of the database (custom format) into the backup directory",
                 (Step("pg_dump", ("pg_dump", "--format=custom", "--no-owner", "--file",
                                   "{backup_dir}/vssd-{stamp}.dump"), env_allow=PG_ENV, timeout_s=3600),),
                 inject_dsn=True),
        Pipeline(4, "migrate", "Apply the database migrations that are not applied yet",
                 (Step("migrate", (*VSSD, "migrate"), env_allow=DB_ENV, timeout_s=600),), inject_dsn=True),
    ]
