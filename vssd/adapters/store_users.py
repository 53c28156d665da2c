"""Users for the API's login: a `UserDirectory` over the store's asyncpg pool, argon2id password hashes,
and `ensure_admin` (the demo's `admin`/`admin123`, or whatever VSSD_ADMIN_PASSWORD says).

Hashing and verifying are CPU-bound and blocking (tens to hundreds of ms): call `hash_password` /
`verify_password` from a worker thread (`asyncio.to_thread`, or the API's password pool), never on the loop.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import orjson
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from vssd.adapters.store import Store
from vssd.adapters.store_errors import StoreNotReady, translate

__all__ = ["StoreUserDirectory", "StoredUser", "add_user", "ensure_admin", "hash_password", "verify_password"]

_HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile (t=3, m=64 MiB, p=4)

_FIND_SQL = """
SELECT u.id::text AS id, u.username, coalesce(u.email, '') AS email, u.role, u.password_hash, u.is_active,
       u.name, coalesce(r.permissions, '[]'::jsonb)::text AS permissions
FROM users u LEFT JOIN roles r ON r.name = u.role
WHERE lower(u.username) = lower($1) OR lower(u.email) = lower($1)
ORDER BY lower(u.username) = lower($1) DESC
LIMIT 1
"""


@dataclass(slots=True)
class StoredUser:
    """A user row; the same fields as `vssd.api.ports.UserRecord` (adapters may not import the API layer)."""

    id: str
    username: str
    email: str
    role: str
    password_hash: str
    active: bool = True
    permissions: list[str] = field(default_factory=list)
    full_name: str = ""


def hash_password(password: str) -> str:
    """An argon2id hash (PHC string) of `password`. Blocking."""
    if not password:
        raise ValueError("empty password")
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches; False on mismatch or a malformed hash. Blocking."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _record(row: asyncpg.Record) -> StoredUser:
    perms = orjson.loads(row["permissions"])
    return StoredUser(
        id=row["id"], username=row["username"], email=row["email"], role=row["role"],
        password_hash=row["password_hash"], active=row["is_active"],
        permissions=[p for p in perms if isinstance(p, str)] if isinstance(perms, list) else [],
        full_name=row["name"],
    )


async def _query(store: Store, method: str, sql: str, *args: Any) -> Any:
    """One query on the store's pool, retried once on a transient error (a dead pooled connection)."""
    for attempt in (1, 2):
        try:
            return await getattr(store.pool, method)(sql, *args)
        except Exception as err:
            error = translate(err, "users query")
            if attempt == 2 or not isinstance(error, StoreNotReady):
                raise error from err
    raise AssertionError("unreachable")


class StoreUserDirectory:
    """`vssd.api.ports.UserDirectory` on the `users` and `roles` tables."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def find_user(self, login: str) -> StoredUser | None:
        """By username or email, case-insensitive; a username match wins over an email match."""
        row = await _query(self.store, "fetchrow", _FIND_SQL, login)
        return _record(row) if row is not None else None


async def add_user(store: Store, username: str, password: str, *, role: str = "operator",
                   email: str | None = None, name: str = "", active: bool = True) -> str:
    """Insert a user (password hashed in a thread); returns its id. The role must exist."""
    password_hash = await asyncio.to_thread(hash_password, password)
    return str(await _query(
        store, "fetchval",
        "INSERT INTO users (username, email, name, password_hash, role, is_active) "
        "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id::text",
        username, email, name, password_hash, role, active,
    ))


async def ensure_admin(store: Store, username: str, password: str, *, email: str | None = None,
                       reset_password: bool = False) -> bool:
    """Make sure an active `admin`-role user `username` exists; True when it was created now.

    An existing user keeps its password unless `reset_password` (e.g. VSSD_ADMIN_PASSWORD was given), so an
    admin who changed the demo password is not silently reverted on the next start.
    """
    existing = await StoreUserDirectory(store).find_user(username)
    if existing is None or existing.username.lower() != username.lower():
        await add_user(store, username, password, role="admin", email=email, name="Administrator")
        return True
    if reset_password and not await asyncio.to_thread(verify_password, existing.password_hash, password):
        password_hash = await asyncio.to_thread(hash_password, password)
        await _query(store, "execute",
                     "UPDATE users SET password_hash = $2, is_active = true, updated_at = now() WHERE id = $1::uuid",
                     str(existing.id), password_hash)
    return False
