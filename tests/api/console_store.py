"""For the console's API tests: a migrated database of its own with the test users (admin, op12 and op13
operators, super1 supervisor, seller1 seller) and a rig on it (the users, the audit and the ports under test
all on the REAL PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.api.conftest import PASSWORDS
from vssd.adapters.store import Store
from vssd.adapters.store_users import StoreUserDirectory, add_user, ensure_admin

PASSWORDS = {**PASSWORDS, "op13": "1313-op"}
ROLES = {"op12": "operator", "op13": "operator", "super1": "supervisor", "seller1": "seller"}


@pytest.fixture(name="console_store")
async def console_store_fixture(fresh_store: Store) -> AsyncIterator[Store]:
    """Import `console_store_fixture` into a test module to use the `console_store` fixture."""
    await ensure_admin(fresh_store, "admin", PASSWORDS["admin"])
    for name, role in ROLES.items():
        await add_user(fresh_store, name, PASSWORDS[name], role=role)
    yield fresh_store


async def user_id(store: Store, username: str) -> str:
    user = await StoreUserDirectory(store).find_user(username)
    assert user is not None
    return str(user.id)
