"""The hubs sharing this database (table `hubs` of `migrations/0003_hubs.sql`): each claims its call id number."""

from __future__ import annotations

from vssd.adapters.store import Store
from vssd.adapters.store_errors import StoreError, StoreFatal, translate


class HubNumberTaken(StoreFatal):
    """Another hub id holds this hub's number: both would mint the same call ids. Not retried."""


async def claim_hub_number(store: Store, hub_id: str, number: int) -> None:
    """Hold `number` for `hub_id` (again, after a restart; a hub that changed its number frees its old one), or
    HubNumberTaken when another hub id holds it. One transaction; concurrent claims of one number: one wins."""
    try:
        async with store.pool.acquire() as conn, conn.transaction():
            await conn.execute("DELETE FROM hubs WHERE hub_id = $1 AND number <> $2", hub_id, number)
            holder = await conn.fetchval(
                "INSERT INTO hubs (number, hub_id) VALUES ($1, $2) ON CONFLICT (number) DO UPDATE "
                "SET claimed_at = now() WHERE hubs.hub_id = EXCLUDED.hub_id RETURNING hub_id", number, hub_id)
            if holder is None:
                other = await conn.fetchval("SELECT hub_id FROM hubs WHERE number = $1", number)
                raise HubNumberTaken(f"hub number {number} is held by hub {other!r}: give hub {hub_id!r} another "
                                     "[hub] number (0-1023), or retire the other one (DELETE FROM hubs WHERE "
                                     f"hub_id = '{other}')")
    except StoreError:
        raise
    except Exception as err:
        raise translate(err, "claiming the hub number") from err


async def hubs(store: Store) -> dict[int, str]:
    """Every claimed number → its hub id."""
    return {int(r["number"]): str(r["hub_id"]) for r in await store.run("fetch", "SELECT number, hub_id FROM hubs")}
