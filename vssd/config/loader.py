"""Build a `Config`: TOML file, then `VSSD_*` environment overrides, then secret files, then policy checks.

Precedence, lowest first: model defaults < TOML file < `VSSD_SECTION__KEY` envs < the named envs
(`VSSD_AMI_SECRET`, `VSSD_DATABASE_URL`, …). A secret given in its env wins over its `*_file`.
Loading is synchronous (it reads small local files) and runs before the event loop starts.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from vssd.config.errors import MISSING, REDACTED, ConfigError, Issue
from vssd.config.models import Config, default_state_dir
from vssd.config.policy import policy_issues

DEFAULT_CONFIG_PATH = "/etc/vssd/vssd.toml"
ENV_PREFIX = "VSSD_"

# Named environment variables → the key they set.
NAMED_ENVS: dict[str, tuple[str, ...]] = {
    "VSSD_AMI_SECRET": ("ami", "secret"),
    "VSSD_DATABASE_URL": ("database", "url"),
    "VSSD_AMQP_URL": ("amqp", "url"),
    "VSSD_REDIS_URL": ("redis", "url"),
    "VSSD_JWT_SECRET": ("auth", "jwt_secret"),
    "VSSD_ADMIN_PASSWORD": ("auth", "admin_password"),
    "VSSD_SETTINGS_KEY": ("auth", "settings_key"),
    "VSSD_STATE_DIR": ("state", "dir"),
    "VSSD_SMTP_PASSWORD": ("notifier", "smtp", "password"),
}
# Secrets that must never be written into the TOML file, and the `*_file` key that may hold each.
SECRET_FILE_KEYS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("ami", "secret"): ("ami", "secret_file"),
    ("auth", "jwt_secret"): ("auth", "jwt_secret_file"),
    ("auth", "admin_password"): ("auth", "admin_password_file"),
    ("auth", "settings_key"): ("auth", "settings_key_file"),
}
SECRET_PATHS = {
    "ami.secret", "auth.jwt_secret", "auth.admin_password", "auth.settings_key", "database.url", "amqp.url",
    "redis.url", "notifier.smtp.password",
}


def load_config(path: str | None = None, env: Mapping[str, str] | None = None) -> Config:
    """The validated configuration, or ConfigError listing every offending key path."""
    env = os.environ if env is None else env
    raw, issues = _read_toml(path, env)
    issues += _refuse_file_secrets(raw)
    issues += _apply_env(raw, env)
    issues += _read_secret_files(raw)
    state = raw.setdefault("state", {})
    if isinstance(state, dict):
        state.setdefault("dir", str(default_state_dir(env)))
    config: Config | None = None
    try:
        config = Config.model_validate(raw)
    except ValidationError as err:
        issues += issues_from_validation(err)
    if config is not None:
        issues += policy_issues(config)
    if issues:
        raise ConfigError(issues)
    assert config is not None
    return config


def _read_toml(path: str | None, env: Mapping[str, str]) -> tuple[dict[str, Any], list[Issue]]:
    explicit = path or env.get("VSSD_CONFIG")
    file = Path(explicit or DEFAULT_CONFIG_PATH)
    if not file.exists():
        if explicit:
            return {}, [Issue("--config", str(file), "file not found")]
        return {}, []
    try:
        with file.open("rb") as fh:
            return tomllib.load(fh), []
    except (OSError, tomllib.TOMLDecodeError) as err:
        return {}, [Issue("--config", str(file), f"cannot read: {err}")]


def _get(raw: Mapping[str, Any], key: tuple[str, ...]) -> Any:
    node: Any = raw
    for part in key:
        if not isinstance(node, Mapping) or part not in node:
            return MISSING
        node = node[part]
    return node


def _refuse_file_secrets(raw: dict[str, Any]) -> list[Issue]:
    issues = []
    for key, file_key in SECRET_FILE_KEYS.items():
        if _get(raw, key) is not MISSING:
            issues.append(Issue(
                ".".join(key), REDACTED,
                f"secrets are not read from the config file; set {_env_name(key)} or {'.'.join(file_key)}",
            ))
            del raw[key[0]][key[1]]
    return issues


def _env_name(key: tuple[str, ...]) -> str:
    return next(name for name, k in NAMED_ENVS.items() if k == key)


def _apply_env(raw: dict[str, Any], env: Mapping[str, str]) -> list[Issue]:
    """`VSSD_A__B=v` sets a.b; a bare `VSSD_X` only sets a top-level scalar (e.g. `VSSD_MODE`)."""
    issues: list[Issue] = []
    nested = sorted(k for k in env if k.startswith(ENV_PREFIX) and "__" in k)
    for name in nested:
        key = tuple(part.lower() for part in name[len(ENV_PREFIX):].split("__"))
        issues += _set(raw, key, _env_value(env[name]), source=name)
    if "VSSD_MODE" in env:
        raw["mode"] = env["VSSD_MODE"]
    for name, key in NAMED_ENVS.items():
        if env.get(name):
            issues += _set(raw, key, env[name], source=name)
    return issues


def _env_value(text: str) -> Any:
    """JSON for lists and tables (`VSSD_HTTP__LISTEN='[{"port": 3000}]'`); pydantic coerces scalars."""
    if text[:1] in "[{":
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _set(raw: dict[str, Any], key: tuple[str, ...], value: Any, source: str) -> list[Issue]:
    node = raw
    for depth, part in enumerate(key[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            return [Issue(".".join(key[: depth + 1]), child, f"is not a table, cannot apply {source}")]
        node = child
    node[key[-1]] = value
    return []


def _read_secret_files(raw: dict[str, Any]) -> list[Issue]:
    issues = []
    for key, file_key in SECRET_FILE_KEYS.items():
        file = _get(raw, file_key)
        if file is MISSING or file is None or _get(raw, key) is not MISSING:
            continue
        try:
            raw[key[0]][key[1]] = Path(str(file)).expanduser().read_text(encoding="utf-8").strip()
        except OSError as err:
            issues.append(Issue(".".join(file_key), str(file), f"cannot read secret file: {err.strerror}"))
    return issues


def issues_from_validation(err: ValidationError) -> list[Issue]:
    issues = []
    for e in err.errors(include_url=False):
        path = ".".join(str(part) for part in e["loc"]) or "<root>"
        value = e.get("input", MISSING) if e["type"] != "missing" else MISSING
        if path in SECRET_PATHS and value is not MISSING:
            value = REDACTED
        message = e["msg"].removeprefix("Value error, ")
        issues.append(Issue(path, value, message))
    return issues
