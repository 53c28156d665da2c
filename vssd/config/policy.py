"""Checks across sections that a single field cannot express: what demo and production mode demand."""

from __future__ import annotations

from pydantic import SecretStr

from vssd.config.errors import MISSING, REDACTED, Issue
from vssd.config.models import Config

DEMO_ADMIN_PASSWORD = "admin123"
MIN_JWT_SECRET_CHARS = 32
MIN_ADMIN_PASSWORD_CHARS = 8
# Values seen in the seeds, their `.env.example` and the usual suspects: never acceptable in production.
KNOWN_DEFAULTS = frozenset({
    "", "admin", "admin123", "password", "password123", "changeme", "change_me", "secret", "test",
    "your_jwt_secret_here_change_in_production", "your_secure_password_here", "your_ami_password_here",
    "jwt_secret", "vssd", "vss",
})


def policy_issues(config: Config) -> list[Issue]:
    if config.mode == "demo":
        return _demo_issues(config)
    return _production_issues(config)


def _demo_issues(config: Config) -> list[Issue]:
    return [
        Issue(f"http.listen.{i}.host", addr.host, "demo mode binds loopback addresses only")
        for i, addr in enumerate(config.http.listen)
        if not addr.is_loopback
    ]


def _production_issues(config: Config) -> list[Issue]:
    issues = []
    auth = config.auth
    issues += _check_secret(
        "auth.jwt_secret", auth.jwt_secret, MIN_JWT_SECRET_CHARS,
        "set VSSD_JWT_SECRET or auth.jwt_secret_file",
    )
    issues += _check_secret(
        "auth.admin_password", auth.admin_password, MIN_ADMIN_PASSWORD_CHARS,
        "set VSSD_ADMIN_PASSWORD or auth.admin_password_file",
    )
    issues += _check_secret("ami.secret", config.ami.secret, 1, "set VSSD_AMI_SECRET or ami.secret_file")
    issues += _check_secret("auth.settings_key", auth.settings_key, 44,
                            "set VSSD_SETTINGS_KEY (a Fernet key) or auth.settings_key_file")
    return issues


def _check_secret(path: str, secret: SecretStr | None, min_chars: int, how: str) -> list[Issue]:
    if secret is None:
        return [Issue(path, MISSING, f"production mode requires it; {how}")]
    value = secret.get_secret_value()
    if value.strip().lower() in KNOWN_DEFAULTS:
        return [Issue(path, REDACTED, f"is a well-known default, refused in production mode; {how}")]
    if len(value) < min_chars:
        return [Issue(path, REDACTED, f"shorter than {min_chars} characters, refused in production mode")]
    return []


def admin_password(config: Config) -> str:
    """The bootstrap admin password: the configured one, else (demo only) the seeds' `admin123`."""
    if config.auth.admin_password is not None:
        return config.auth.admin_password.get_secret_value()
    if config.mode == "demo":
        return DEMO_ADMIN_PASSWORD
    raise RuntimeError("production config without admin password passed validation")
