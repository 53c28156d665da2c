"""`vssd.api.ports.SettingsStore` and `SystemCounts` on the store: the system settings (one `system_settings`
row, key `system`, the Smart Call Center API's SystemSettings) and the counts of the system info.

The AMI password never reaches the table in clear: `asterisk_config.password` is replaced by
`password_encrypted`, a Fernet token (`secret_box.SecretBox`), before the row is written, and decrypted on
read. A token the current key cannot read (the key was changed) reads as no password, with a warning.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import orjson

from vssd.adapters.secret_box import SecretBox
from vssd.adapters.store import Store
from vssd.adapters.store_operators import UTC_MIDNIGHT
from vssd.log import get_logger

__all__ = ["StoreSettings"]

log = get_logger("vssd.store.settings")
KEY = "system"
_SELECT = "SELECT value::text AS value, updated_by::text AS updated_by, updated_at FROM system_settings WHERE key = $1"
_UPSERT = """
INSERT INTO system_settings (key, value, updated_by, updated_at) VALUES ($1, $2::jsonb, $3::uuid, now())
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_by = EXCLUDED.updated_by, updated_at = now()
RETURNING value::text AS value, updated_by::text AS updated_by, updated_at
"""
_COUNTS = f"""
SELECT (SELECT count(*) FROM users) AS users,
       (SELECT count(*) FROM users WHERE role = 'operator') AS operators,
       (SELECT count(*) FROM calls WHERE originated_at >= {UTC_MIDNIGHT}) AS calls_today
"""


class StoreSettings:
    def __init__(self, store: Store, box: SecretBox) -> None:
        self.store, self.box = store, box

    async def load(self) -> dict[str, Any] | None:
        """The stored settings with the AMI password in clear, `updated_by` and `updated_at`; None if never saved."""
        row = await self.store.run("fetchrow", _SELECT, KEY)
        return self._opened(row) if row is not None else None

    async def save(self, values: Mapping[str, Any], by: str | None) -> dict[str, Any]:
        """Write the settings (the AMI password encrypted); what `load` would read now."""
        sealed = self._sealed(values)
        row = await self.store.run("fetchrow", _UPSERT, KEY, orjson.dumps(sealed).decode(), _uuid_or_none(by))
        return self._opened(row)

    async def counts(self) -> dict[str, int]:
        row = await self.store.run("fetchrow", _COUNTS)
        return {k: int(row[k]) for k in ("users", "operators", "calls_today")}

    def _sealed(self, values: Mapping[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in values.items() if k not in ("updated_by", "updated_at")}
        asterisk = dict(out.get("asterisk_config") or {})
        password = asterisk.pop("password", None)
        asterisk.pop("password_encrypted", None)
        if password:
            asterisk["password_encrypted"] = self.box.encrypt(str(password))
        out["asterisk_config"] = asterisk
        return out

    def _opened(self, row: Any) -> dict[str, Any]:
        values = orjson.loads(row["value"])
        asterisk = dict(values.get("asterisk_config") or {})
        token = asterisk.pop("password_encrypted", None)
        asterisk["password"] = None
        if token:
            try:
                asterisk["password"] = self.box.decrypt(str(token))
            except ValueError as err:
                log.warning("settings.password_unreadable", error=str(err))
        values["asterisk_config"] = asterisk
        return {**values, "updated_by": row["updated_by"], "updated_at": row["updated_at"]}


def _uuid_or_none(value: str | None) -> str | None:
    try:
        return str(uuid.UUID(str(value))) if value else None
    except ValueError:
        return None
