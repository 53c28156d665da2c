"""`vssd run [--config PATH]`: the daemon as systemd runs it (Type=notify; SIGTERM → staged shutdown, exit 0)."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Callable

from vssd.app import Daemon
from vssd.config.errors import ConfigError
from vssd.config.loader import DEFAULT_CONFIG_PATH, load_config
from vssd.log import configure_logging
from vssd.loop import run


async def serve(daemon: Daemon, announce: Callable[[Daemon], None] | None = None) -> int:
    """Start, run until SIGTERM/SIGINT, stop in stages. A failed start still stops what did start."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await daemon.start()
        if announce is not None:
            announce(daemon)
        await stop.wait()
        return 0
    finally:
        await daemon.stop()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="vssd run", description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=None, help=f"TOML file (default {DEFAULT_CONFIG_PATH})")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config, os.environ)
    except ConfigError as err:
        for issue in err.issues:
            print(issue.render(), file=sys.stderr)
        return 1
    configure_logging(config.log.level, json=config.log.format == "json")
    secret = config.ami.secret.get_secret_value() if config.ami.secret is not None else ""
    return run(serve(Daemon(config, ami_secret=secret)), config.runtime.event_loop)
