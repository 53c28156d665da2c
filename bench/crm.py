"""CRM lead list with filters at 1,000,000 leads (issue 12): `GET /api/crm/leads?…` through the real aiohttp app
(every middleware, JWT auth, RBAC, audit, the store's page and capped count) vs the bare SQL of the same query
(the store's own statements, `vssd.adapters.store_crm_list.list_rows`, on the bare asyncpg pool: the page and the
capped count concurrently on two pooled connections, or for a text search one statement for both).

    .venv/bin/python bench/crm.py [--leads 1000000] [--rounds 40] [--keep DBNAME]

A scratch database on 127.0.0.1:5432 is migrated and filled with generate_series (20 sellers, the ten statuses,
names and phones, a lead every 30 s over a year back); indexes are rebuilt after the fill, then VACUUM ANALYZE
(what autovacuum does to a table that grew: the visibility map lets counts read the index only). Each
round asks every query of the mix once, one request at a time, as an admin (anyone's leads) and as a seller (own
leads). Goal: p99 ≤ 50 ms for the app; the ratio is app p50 / bare p50 (same run). Each filter mix's own p99 is
printed too, worst first. `--keep NAME` reuses (and keeps) a filled database of that name.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import asyncpg
from aiohttp.test_utils import TestServer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vssd.adapters.store import Store  # noqa: E402
from vssd.adapters.store_crm_leads import StoreCrmLeads  # noqa: E402
from vssd.adapters.store_crm_list import list_rows  # noqa: E402
from vssd.adapters.store_users import StoreUserDirectory, add_user, sync_builtin_roles, verify_password  # noqa: E402
from vssd.api import tokens  # noqa: E402
from vssd.api.app import make_app  # noqa: E402
from vssd.api.crm.lead_input import lead_query  # noqa: E402
from vssd.api.deps import ApiDeps  # noqa: E402
from vssd.api.rbac import BUILTIN_ROLES  # noqa: E402
from vssd.log import configure_logging  # noqa: E402
from vssd.metrics import make_registry  # noqa: E402

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
SECRET = "bench-jwt-secret-0123456789abcdef0123456789"
FILL = """
INSERT INTO crm_leads (client_name, phone, email, status, assigned_seller, source, created_at, updated_at)
SELECT (ARRAY['Иван','Пётр','Анна','Мария','Олег','Ирина','Сергей','Елена'])[1 + i % 8] || ' ' ||
       (ARRAY['Иванов','Петров','Смирнов','Кузнецов','Попов','Соколов'])[1 + (i / 8) % 6] || ' ' || i,
       '+7999' || lpad(i::text, 7, '0'), 'lead' || i || '@example.com',
       (ARRAY['new','queued','no_answer','contacted','callback','qualified','won','lost','dnc','invalid'])[1 + i % 10],
       ($1::uuid[])[1 + (i / 10) % array_length($1::uuid[], 1)], 'bench',
       now() - make_interval(secs => i * 30), now() - make_interval(secs => i * 30)
FROM generate_series(1, $2) AS i
"""


class _Nothing:
    def slot_views(self) -> list[Any]:
        return []

    def slot_view(self, slot_id: str) -> None:
        return None

    async def recent_calls(self, limit: int, offset: int, filters: Any) -> tuple[list[Any], int]:
        return [], 0

    def checks(self) -> dict[str, bool]:
        return {"store": True}


async def _fill(dsn: str, count: int, sellers: list[str]) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        indexes = await conn.fetch("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'crm_leads' "
                                   "AND indexname NOT LIKE '%pkey'")
        for row in indexes:
            await conn.execute(f"DROP INDEX {row['indexname']}")
        await conn.execute(FILL, sellers, count)
        for row in indexes:
            await conn.execute(row["indexdef"])
        await conn.execute("VACUUM (ANALYZE) crm_leads")
    finally:
        await conn.close()


def _mix(seller: str, day: str) -> list[str]:
    return ["status=callback", f"assigned_seller={seller}&status=new", f"assigned_seller={seller}",
            f"status=won&created_from={day}T00:00:00Z&created_to={day}T23:59:59Z",
            f"created_from={day}&created_to={day}", "q=Пётр Соколов 4711", "q=9990471", "status=qualified&q=Анна",
            "status=contacted&offset=500"]


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


async def _bare(store: Store, query: str, owner: str | None) -> None:
    raw = dict(parse_qsl(query))
    filters, seller = lead_query(raw)
    if seller:
        filters["assigned_seller"] = seller
    await list_rows(store.pool.fetch, store.pool.fetchval, filters, owner, 50, int(raw.get("offset", 0)))


async def run(args: argparse.Namespace) -> int:
    configure_logging("warning")
    name = args.keep or f"vssd_bench_crm_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN_DSN)
    fresh = not await admin.fetchval("SELECT true FROM pg_database WHERE datname = $1", name)
    if fresh:
        await admin.execute(f"CREATE DATABASE {name}")
    dsn = f"postgresql://postgres@127.0.0.1:5432/{name}"
    store = await Store.connect(dsn, spill_dir=Path(tempfile.mkdtemp()), pool_max_size=8)
    try:
        await store.migrate()
        await sync_builtin_roles(store, BUILTIN_ROLES)
        if fresh:
            await add_user(store, "admin", "bench-admin-pw", role="admin")
            sellers = [await add_user(store, f"seller{i}", "bench-seller-pw", role="seller") for i in range(20)]
            started = time.perf_counter()
            await _fill(dsn, args.leads, sellers)
            print(f"filled {args.leads:,} leads in {time.perf_counter() - started:.0f} s")
        sellers = [r["id"] for r in await store.pool.fetch(
            "SELECT id::text AS id FROM users WHERE role = 'seller' ORDER BY username")]
        total = await store.pool.fetchval("SELECT count(*) FROM crm_leads")
        day = (await store.pool.fetchval("SELECT (now() - interval '100 days')::date")).isoformat()
        return await _measure(args, store, sellers, day, int(total))
    finally:
        await store.close()
        if not args.keep:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


async def _measure(args: argparse.Namespace, store: Store, sellers: list[str], day: str, total: int) -> int:
    nothing = _Nothing()
    deps = ApiDeps(slots=nothing, calls=nothing, users=StoreUserDirectory(store), readiness=nothing,  # type: ignore[arg-type]
                   verify_password=verify_password, jwt_secret=SECRET, metrics=make_registry(),
                   crm_leads=StoreCrmLeads(store), api_per_minute=None, auth_per_minute=None)
    server = TestServer(make_app(deps), host="127.0.0.1", port=0)
    await server.start_server()
    users = {u: await deps.users.find_user(u) for u in ("admin", "seller0")}
    headers = {u: {"Authorization": f"Bearer {tokens.access_token(deps, rec)}"} for u, rec in users.items() if rec}
    app_ms: list[float] = []
    bare_ms: list[float] = []
    by_mix: dict[str, list[float]] = defaultdict(list)
    async with aiohttp.ClientSession(base_url=str(server.make_url("/"))) as http:
        for round_no in range(args.rounds + 2):
            for who, owner in (("admin", None), ("seller0", sellers[0])):
                for mix, query in zip(_mix("S", "D"), _mix(sellers[round_no % len(sellers)], day), strict=True):
                    began = time.perf_counter()
                    async with http.get(f"/api/crm/leads?{query}", headers=headers[who]) as resp:
                        assert resp.status == 200, await resp.text()
                        await resp.read()
                    mid = time.perf_counter()
                    await _bare(store, query, owner)
                    end = time.perf_counter()
                    if round_no >= 2:  # warm-up rounds
                        app_ms.append((mid - began) * 1000)
                        bare_ms.append((end - mid) * 1000)
                        by_mix[f"{who:7} {mix}"].append((mid - began) * 1000)
    await server.close()
    p99 = _pct(app_ms, 0.99)
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"CRM lead list at {total:,} leads, {len(app_ms)} requests (9 filter mixes × admin/seller), "
          f"load average {load} on {os.cpu_count()} CPUs:")
    print(f"  app  p50 {statistics.median(app_ms):6.2f} ms  p99 {p99:6.2f} ms  max {max(app_ms):6.2f} ms")
    print(f"  bare p50 {statistics.median(bare_ms):6.2f} ms  p99 {_pct(bare_ms, 0.99):6.2f} ms")
    print(f"  ratio app/bare p50 {statistics.median(app_ms) / statistics.median(bare_ms):.2f}, "
          f"p99 {p99 / _pct(bare_ms, 0.99):.2f}   goal: app p99 <= 50 ms -> {'PASS' if p99 <= 50 else 'FAIL'}")
    print("  per filter mix (S: a seller, D: a day), app p99 worst first:")
    for mix, values in sorted(by_mix.items(), key=lambda kv: -_pct(kv[1], 0.99)):
        print(f"    p99 {_pct(values, 0.99):7.2f} ms  p50 {statistics.median(values):7.2f} ms  {mix}")
    print(f"reproduce: PYTHONPATH=. .venv/bin/python bench/crm.py --leads {args.leads} --rounds {args.rounds}"
          + (f" --keep {args.keep}" if args.keep else ""))
    return 0 if p99 <= 50 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--keep", help="keep (and reuse) this scratch database")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
