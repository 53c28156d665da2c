"""Command line: `vssd run`, `vssd demo`, `vssd sim pbx|adb`, `vssd replay FILE`, `vssd migrate`, `vssd dci STEP`
(the DCI pipelines' steps), `vssd --validate-config`."""

from __future__ import annotations

import argparse
import importlib
import sys

# Subcommand → module whose `main(argv) -> int` runs it. Imported lazily so `vssd replay` stays light.
COMMANDS = {
    "run": "vssd.run",
    "replay": "vssd.replay",
    "demo": "vssd.demo",
    "sim-pbx": "vssd.sim.pbx.cli",
    "sim-adb": "vssd.sim.adb.cli",
    "dci": "vssd.dci_cli",
}
MAINS = {"migrate": ("vssd.dci_cli", "migrate_main")}  # subcommands whose `main` has another name


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["sim"] and len(argv) >= 2:
        argv = [f"sim-{argv[1]}", *argv[2:]]
    parser = argparse.ArgumentParser(prog="vssd", description="VSS hub daemon")
    parser.add_argument("command", nargs="?", help="run | demo | sim pbx | sim adb | replay FILE | migrate | dci STEP")
    parser.add_argument("--version", action="store_true")
    if "--validate-config" in argv:
        from vssd.config.cli import validate_config_main

        return validate_config_main(argv)
    if not argv or argv[0].startswith("-"):
        args, _ = parser.parse_known_args(argv)
        if args.version:
            from vssd import __version__

            print(__version__)
            return 0
        parser.print_help()
        return 2
    if argv[0] in MAINS:
        name, func = MAINS[argv[0]]
        return int(getattr(importlib.import_module(name), func)(argv[1:]) or 0)
    module = COMMANDS.get(argv[0])
    if module is None:
        parser.error(f"unknown command {argv[0]!r}; expected one of: run, demo, sim pbx, sim adb, replay, migrate, dci")
    return int(importlib.import_module(module).main(argv[1:]) or 0)
