"""`vssd --validate-config [--config PATH]`: print every problem with its key path, or `config OK`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence

from vssd.config.errors import ConfigError
from vssd.config.loader import DEFAULT_CONFIG_PATH, load_config


def validate_config_main(argv: Sequence[str], env: Mapping[str, str] | None = None) -> int:
    """0 and `config OK` for a usable configuration; 1 and one `key.path = <value>: <message>` per error."""
    parser = argparse.ArgumentParser(prog="vssd --validate-config")
    parser.add_argument("--validate-config", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--config", default=None, help=f"TOML file (default {DEFAULT_CONFIG_PATH})")
    args = parser.parse_args(list(argv))
    try:
        load_config(args.config, os.environ if env is None else env)
    except ConfigError as err:
        for issue in err.issues:
            print(issue.render())
        return 1
    print("config OK")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return validate_config_main(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    raise SystemExit(main())
