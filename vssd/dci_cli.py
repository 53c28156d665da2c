"""The DCI pipelines' Python steps as subcommands (each step is a child process of the runner):

    vssd migrate                                    apply pending migrations
    vssd dci export-cdr --from D --to D --format csv|parquet --out-dir DIR
    vssd dci import-leads --campaign ID --file PATH

The database is `VSSD_DCI_DSN` (the runner passes the daemon's own), else `VSSD_DATABASE_URL`. Progress goes to
stdout line by line (the run's log); failures to stderr with a non-zero exit code.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

EXIT_USAGE, EXIT_FAILED = 2, 1


def _dsn() -> str:
    dsn = os.environ.get("VSSD_DCI_DSN") or os.environ.get("VSSD_DATABASE_URL")
    if not dsn:
        raise SystemExit("no database: set VSSD_DCI_DSN or VSSD_DATABASE_URL")
    return dsn


def _say(text: str) -> None:
    print(text, flush=True)


async def _migrate() -> int:
    from vssd.adapters.store import Store

    with tempfile.TemporaryDirectory(prefix="vssd-migrate-") as spill:
        store = await Store.connect(_dsn(), spill_dir=spill, pool_max_size=1)
        try:
            before = await store.schema_version()
            _say(f"schema version {before}")
            applied = await store.migrate()
            _say(f"applied {', '.join(map(str, applied))}" if applied else "nothing to apply")
            _say(f"schema version {await store.schema_version()}")
        finally:
            await store.close()
    return 0


async def _export(args: argparse.Namespace) -> int:
    from vssd.adapters.cdr_export import export_cdr

    first, last = date.fromisoformat(args.date_from), date.fromisoformat(args.date_to)
    if last < first:
        print(f"--to {last} is before --from {first}", file=sys.stderr)
        return EXIT_USAGE
    out = Path(args.out_dir) / f"cdr-{first}-{last}.{args.format}"
    _say(f"exporting calls {first}..{last} as {args.format} to {out}")
    total = await export_cdr(_dsn(), first, last, args.format, out, lambda n: _say(f"{n} rows"))
    _say(f"done: {total} rows in {out}")
    return 0


async def _import(args: argparse.Namespace) -> int:
    from vssd.adapters.store import Store
    from vssd.adapters.store_leads import StoreLeads
    from vssd.calls.campaign import parse_csv

    path = Path(args.file)
    try:
        text = await asyncio.to_thread(path.read_text, encoding="utf-8-sig")
    except OSError as err:
        print(f"{path.name}: {err.strerror or err}", file=sys.stderr)
        return EXIT_FAILED
    leads = parse_csv(text)
    _say(f"{len(leads)} leads read from {path.name}")
    with tempfile.TemporaryDirectory(prefix="vssd-import-") as spill:
        store = await Store.connect(_dsn(), spill_dir=spill, pool_max_size=1)
        try:
            ids = await StoreLeads(store).add_leads(args.campaign, leads)
        except LookupError:
            print(f"campaign {args.campaign} does not exist", file=sys.stderr)
            return EXIT_FAILED
        except ValueError as err:
            print(f"refused: {err}", file=sys.stderr)
            return EXIT_FAILED
        finally:
            await store.close()
    _say(f"imported {len(ids)} leads into campaign {args.campaign}")
    return 0


def migrate_main(argv: list[str]) -> int:
    argparse.ArgumentParser(prog="vssd migrate", description="apply pending migrations").parse_args(argv)
    return asyncio.run(_migrate())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="vssd dci", description="DCI pipeline steps")
    sub = parser.add_subparsers(dest="step", required=True)
    export = sub.add_parser("export-cdr")
    export.add_argument("--from", dest="date_from", required=True)
    export.add_argument("--to", dest="date_to", required=True)
    export.add_argument("--format", choices=("csv", "parquet"), default="csv")
    export.add_argument("--out-dir", required=True)
    lead = sub.add_parser("import-leads")
    lead.add_argument("--campaign", required=True)
    lead.add_argument("--file", required=True)
    args = parser.parse_args(argv)
    try:
        return asyncio.run(_export(args) if args.step == "export-cdr" else _import(args))
    except (ValueError, OSError) as err:
        print(f"{args.step}: {err}", file=sys.stderr)
        return EXIT_FAILED
