"""The committed JSON schema of the configuration (`config/schema.json`); regenerate with
`python -m vssd.config.schema config/schema.json`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from vssd.config.models import Config


def config_schema() -> dict[str, Any]:
    return Config.model_json_schema()


def render_schema() -> str:
    return json.dumps(config_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = render_schema()
    if argv:
        Path(argv[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
