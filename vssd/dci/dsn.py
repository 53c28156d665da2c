"""A PostgreSQL DSN as libpq's environment variables (PGHOST …): what `pg_dump` reads, so that a password never
shows up in a process list."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit


def pg_env(dsn: str) -> dict[str, str]:
    parts = urlsplit(dsn)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    env = {"PGHOST": query.get("host") or parts.hostname or "", "PGPORT": query.get("port") or str(parts.port or ""),
           "PGUSER": unquote(parts.username or "") or query.get("user", ""),
           "PGPASSWORD": unquote(parts.password or "") or query.get("password", ""),
           "PGDATABASE": unquote(parts.path.lstrip("/")) or query.get("dbname", ""),
           "PGSSLMODE": query.get("sslmode", "")}
    return {k: v for k, v in env.items() if v}
