"""Users for the API: a `UserDirectory` and `UserAdmin` over the store's asyncpg pool, argon2id password
hashes, and `ensure_admin` (the demo's `admin`/`admin123`, or whatever VSSD_ADMIN_PASSWORD says).

Refused writes raise `ValueError(code, message)` (USER_001 username taken, USER_002 email taken, USER_003
extension taken, USER_005 last admin, ROLE_001 role name taken, ROLE_002 no such role, INVALID_PARAMS);
a missing user or role raises `LookupError`. The last-admin rule holds under concurrency: every write
that could remove an admin takes one transaction-scoped advisory lock first.

Hashing and verifying are CPU-bound and blocking (tens to hundreds of ms): call `hash_password` /
`verify_password` from a worker thread (`asyncio.to_thread`, or the API's password pool), never on the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import asyncpg
import orjson
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from vssd.adapters.store import Store
from vssd.adapters.store_errors import StoreNotReady, translate
from vssd.users import UserRecord

__all__ = ["StoreUserDirectory", "add_user", "ensure_admin", "hash_password", "sync_builtin_roles",
           "verify_password"]

_HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile (t=3, m=64 MiB, p=4)

_FIND_SQL = """
SELECT u.id::text AS id, u.username, coalesce(u.email, '') AS email, u.role, u.password_hash, u.is_active,
       u.name, coalesce(r.permissions, '[]'::jsonb)::text AS permissions
FROM users u LEFT JOIN roles r ON r.name = u.role
WHERE lower(u.username) = lower($1) OR lower(u.email) = lower($1)
ORDER BY lower(u.username) = lower($1) DESC
LIMIT 1
"""


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


def _record(row: asyncpg.Record) -> UserRecord:
    perms = orjson.loads(row["permissions"])
    return UserRecord(
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


_USER_COLS = ("id::text AS id, username, email, name, role, group_id, extension, is_active, created_at, "
              "updated_at, last_login_at")
_ROLE_COLS = ("id::text AS id, name, description, permissions::text AS permissions, builtin, customized, created_at, "
              "updated_at")
_UPDATABLE = ("username", "email", "name", "role", "group_id", "extension", "is_active")
_UNIQUE_CODES = {"users_username_key": ("USER_001", "username already exists"),
                 "users_email_key": ("USER_002", "email already exists"),
                 "users_extension_key": ("USER_003", "extension already assigned"),
                 "roles_name_key": ("ROLE_001", "role name already exists")}
_ADMIN_LOCK = "SELECT pg_advisory_xact_lock(hashtext('vssd.users.admins'))"
_ACTIVE_ADMINS = "SELECT count(*) FROM users WHERE role = 'admin' AND is_active"


def _role_view(row: asyncpg.Record) -> dict[str, Any]:
    return {**dict(row), "permissions": orjson.loads(row["permissions"])}


def _refusal(err: asyncpg.PostgresError) -> ValueError | None:
    """A constraint the caller broke, as `ValueError(code, message)`; None for anything else."""
    if isinstance(err, asyncpg.UniqueViolationError):
        code, message = _UNIQUE_CODES.get(err.constraint_name or "", ("INVALID_PARAMS", "duplicate value"))
        return ValueError(code, message)
    if isinstance(err, asyncpg.ForeignKeyViolationError):
        return ValueError("ROLE_002", "no such role")
    if isinstance(err, asyncpg.CheckViolationError | asyncpg.DataError):
        return ValueError("INVALID_PARAMS", f"invalid value ({err.constraint_name or type(err).__name__})")
    return None


async def _write(store: Store, body: Any) -> Any:
    """Run `body(conn)` in a transaction; constraint violations become ValueError(code, message)."""
    try:
        async with store.pool.acquire() as conn, conn.transaction():
            return await body(conn)
    except asyncpg.PostgresError as err:
        refusal = _refusal(err)
        if refusal is None:
            raise translate(err, "users write") from err
        raise refusal from None
    except (OSError, asyncpg.InterfaceError) as err:
        raise translate(err, "users write") from err


async def _keep_an_admin(conn: asyncpg.Connection, user_id: str) -> None:
    """USER_005 when `user_id` is the last active admin (call before removing or demoting it)."""
    await conn.execute(_ADMIN_LOCK)
    row = await conn.fetchrow("SELECT role, is_active FROM users WHERE id = $1::uuid", user_id)
    if row is None:
        raise LookupError(user_id)
    if row["role"] == "admin" and row["is_active"] and await conn.fetchval(_ACTIVE_ADMINS) <= 1:
        raise ValueError("USER_005", "the last administrator cannot be deleted, demoted or disabled")


class StoreUserDirectory:
    """`vssd.api.ports.UserDirectory` and `UserAdmin` on the `users` and `roles` tables."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def find_user(self, login: str) -> UserRecord | None:
        """By username or email, case-insensitive; a username match wins over an email match."""
        row = await _query(self.store, "fetchrow", _FIND_SQL, login)
        return _record(row) if row is not None else None

    async def list_users(self, role: str | None, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        where = "WHERE ($1::text IS NULL OR role = $1)"
        rows = await _query(self.store, "fetch", f"SELECT {_USER_COLS} FROM users {where} "
                            "ORDER BY created_at, lower(username) LIMIT $2 OFFSET $3", role, limit, offset)
        total = await _query(self.store, "fetchval", f"SELECT count(*) FROM users {where}", role)
        return [dict(r) for r in rows], int(total)

    async def get_user(self, user_id: str) -> dict[str, Any] | None:
        row = await _query(self.store, "fetchrow", f"SELECT {_USER_COLS} FROM users WHERE id = $1::uuid", user_id)
        return dict(row) if row is not None else None

    async def create_user(self, fields: Mapping[str, Any], password_hash: str) -> dict[str, Any]:
        async def insert(conn: asyncpg.Connection) -> dict[str, Any]:
            row = await conn.fetchrow(
                f"INSERT INTO users (username, email, name, password_hash, role, group_id, extension, is_active) "
                f"VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {_USER_COLS}",
                fields["username"], fields.get("email"), fields.get("name") or "", password_hash,
                fields.get("role", "operator"), fields.get("group_id"), fields.get("extension"),
                fields.get("is_active", True))
            return dict(row)
        return await _write(self.store, insert)

    async def update_user(self, user_id: str, fields: Mapping[str, Any],
                          password_hash: str | None) -> dict[str, Any]:
        changes = {k: fields[k] for k in _UPDATABLE if k in fields}
        if password_hash is not None:
            changes["password_hash"] = password_hash

        async def update(conn: asyncpg.Connection) -> dict[str, Any]:
            if changes.get("role", "admin") != "admin" or changes.get("is_active", True) is False:
                await _keep_an_admin(conn, user_id)
            sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(changes, start=2))
            row = await conn.fetchrow(
                f"UPDATE users SET {sets + ', ' if sets else ''}updated_at = now() WHERE id = $1::uuid "
                f"RETURNING {_USER_COLS}", user_id, *changes.values())
            if row is None:
                raise LookupError(user_id)
            return dict(row)
        return await _write(self.store, update)

    async def delete_user(self, user_id: str) -> None:
        async def delete(conn: asyncpg.Connection) -> None:
            await _keep_an_admin(conn, user_id)
            await conn.execute("DELETE FROM users WHERE id = $1::uuid", user_id)
        await _write(self.store, delete)

    async def list_roles(self) -> list[dict[str, Any]]:
        rows = await _query(self.store, "fetch", f"SELECT {_ROLE_COLS} FROM roles ORDER BY id")
        return [_role_view(r) for r in rows]

    async def get_role(self, role_id: str) -> dict[str, Any] | None:
        sql = f"SELECT {_ROLE_COLS} FROM roles WHERE name = $1 OR id::text = $1"
        row = await _query(self.store, "fetchrow", sql, role_id)
        return _role_view(row) if row is not None else None

    async def create_role(self, name: str, description: str, permissions: list[str]) -> dict[str, Any]:
        async def insert(conn: asyncpg.Connection) -> dict[str, Any]:
            row = await conn.fetchrow(
                f"INSERT INTO roles (name, description, permissions) VALUES ($1, $2, $3::jsonb) RETURNING {_ROLE_COLS}",
                name, description, orjson.dumps(permissions).decode())
            return _role_view(row)
        return await _write(self.store, insert)

    async def update_role(self, role_id: str, description: str | None, permissions: list[str] | None,
                          *, customized: bool | None = None) -> dict[str, Any]:
        """`customized`: True when an admin changes a builtin role's rights (the start-up sync then leaves
        them), False when they are reset to the shipped default, None to leave the mark as it is."""
        async def update(conn: asyncpg.Connection) -> dict[str, Any]:
            row = await conn.fetchrow(
                f"UPDATE roles SET description = coalesce($2, description), "
                f"permissions = coalesce($3::jsonb, permissions), customized = coalesce($4, customized), "
                f"updated_at = now() WHERE id::text = $1 RETURNING {_ROLE_COLS}",
                role_id, description, orjson.dumps(permissions).decode() if permissions is not None else None,
                customized)
            if row is None:
                raise LookupError(role_id)
            return _role_view(row)
        return await _write(self.store, update)


async def sync_builtin_roles(store: Store, roles: Mapping[str, list[str]], *, full_rights: str = "admin") -> None:
    """Give the builtin roles the rights the code states (`vssd.api.rbac.BUILTIN_ROLES`, passed in by the
    composition root): the seeds' rights live in one place, and a new release's rights apply on start — except
    to a role an admin customized (`roles.customized`), which keeps its rights until reset. `full_rights` (the
    admin role) always gets the code's rights back."""
    for name, permissions in roles.items():
        await _query(store, "execute",
                     "INSERT INTO roles (name, permissions, builtin) VALUES ($1, $2::jsonb, true) "
                     "ON CONFLICT (name) DO UPDATE SET permissions = EXCLUDED.permissions, builtin = true, "
                     "customized = false, updated_at = now() "
                     "WHERE roles.permissions IS DISTINCT FROM EXCLUDED.permissions "
                     "AND (NOT roles.customized OR roles.name = $3)",
                     name, orjson.dumps(list(permissions)).decode(), full_rights)


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
