"""vssd.adapters.store_users on the real PostgreSQL: argon2id hashes, lookups, ensure_admin."""

from __future__ import annotations

import asyncio

from vssd.adapters.store import Store
from vssd.adapters.store_users import StoreUserDirectory, add_user, ensure_admin, hash_password, verify_password
from vssd.api.rbac import BUILTIN_ROLES


async def test_hash_is_argon2id_and_verifies() -> None:
    first, second = await asyncio.gather(asyncio.to_thread(hash_password, "admin123"),
                                         asyncio.to_thread(hash_password, "admin123"))
    assert first.startswith("$argon2id$") and first != second  # salted
    assert await asyncio.to_thread(verify_password, first, "admin123")
    assert not await asyncio.to_thread(verify_password, first, "admin124")
    assert not verify_password("not-a-hash", "admin123")


async def test_find_user_by_username_or_email(fresh_store: Store) -> None:
    directory = StoreUserDirectory(fresh_store)
    user_id = await add_user(fresh_store, "Carol", "pw-carol", role="supervisor", email="Carol@Example.org",
                             name="Carol C")
    by_name = await directory.find_user("carol")
    by_mail = await directory.find_user("CAROL@example.ORG")
    assert by_name == by_mail
    assert by_name is not None
    assert (by_name.id, by_name.username, by_name.email, by_name.role) == (user_id, "Carol", "Carol@Example.org",
                                                                          "supervisor")
    assert by_name.full_name == "Carol C" and by_name.active is True
    assert by_name.permissions == BUILTIN_ROLES["supervisor"]
    assert await asyncio.to_thread(verify_password, by_name.password_hash, "pw-carol")
    assert await directory.find_user("nobody") is None


async def test_a_username_match_wins_over_an_email_match(fresh_store: Store) -> None:
    await add_user(fresh_store, "carol", "pw1", email="dave@x.io")
    await add_user(fresh_store, "dave@x.io", "pw2", role="seller")
    found = await StoreUserDirectory(fresh_store).find_user("dave@x.io")
    assert found is not None and found.username == "dave@x.io"


async def test_ensure_admin_creates_once_and_resets_only_when_asked(fresh_store: Store) -> None:
    directory = StoreUserDirectory(fresh_store)
    assert await ensure_admin(fresh_store, "admin", "admin123") is True
    admin = await directory.find_user("admin")
    assert admin is not None and admin.role == "admin" and admin.permissions == ["#"]
    assert await ensure_admin(fresh_store, "admin", "changed-pw") is False
    admin = await directory.find_user("admin")
    assert await asyncio.to_thread(verify_password, admin.password_hash, "admin123")
    assert await ensure_admin(fresh_store, "admin", "changed-pw", reset_password=True) is False
    admin = await directory.find_user("admin")
    assert await asyncio.to_thread(verify_password, admin.password_hash, "changed-pw")
    assert await fresh_store.pool.fetchval("SELECT count(*) FROM users") == 1
