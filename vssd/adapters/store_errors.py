"""The store's typed errors, and the one place asyncpg/OS exceptions are sorted into them.

- StoreNotReady: the server is unreachable, restarting or dropped us — retry with backoff.
- StoreAuthFailed: credentials or pg_hba refuse us — retrying will not help; stop and tell the operator.
- StoreFatal: the SQL or the data is wrong (or the schema is not what this code expects) — a bug.
"""

from __future__ import annotations

import asyncio

import asyncpg


class StoreError(Exception):
    """Base of everything the store raises."""


class StoreNotReady(StoreError, ConnectionError):
    """Transient: the database cannot be reached right now. Retry. (A ConnectionError: the API answers 503.)"""

    api_code = "DB_001"


class StoreAuthFailed(StoreError):
    """The database refused our credentials. Do not retry."""


class StoreFatal(StoreError):
    """A non-transient failure: bad SQL, bad data, schema mismatch, changed migration."""


_AUTH = (
    asyncpg.InvalidPasswordError,
    asyncpg.InvalidAuthorizationSpecificationError,
)
_TRANSIENT_PG = (
    asyncpg.PostgresConnectionError,  # class 08: connection exceptions
    asyncpg.CannotConnectNowError,  # 57P03: the server is starting up / shutting down
    asyncpg.AdminShutdownError,  # 57P01: pg_terminate_backend, fast shutdown
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
    asyncpg.InvalidCatalogNameError,  # 3D000: database does not exist (yet) — e.g. being restored
    asyncpg.ObjectInUseError,
    asyncpg.UndefinedTableError,  # 42P01: not migrated yet — the writer may start before migrate() ran
)
# InternalClientError ("cannot switch to state …; another operation is in progress"): asyncpg's state machine on a
# pooled connection whose backend was terminated mid-operation — the next connection works.
_TRANSIENT_OTHER = (OSError, ConnectionError, asyncio.TimeoutError, asyncpg.InterfaceError,
                    asyncpg.InternalClientError)


def classify(err: BaseException) -> type[StoreError]:
    """Which StoreError a low-level exception means."""
    if isinstance(err, StoreError):
        return type(err)
    if isinstance(err, _AUTH):
        return StoreAuthFailed
    if isinstance(err, _TRANSIENT_PG):
        return StoreNotReady
    if isinstance(err, asyncpg.PostgresError):
        return StoreFatal
    if isinstance(err, _TRANSIENT_OTHER):
        return StoreNotReady
    return StoreFatal


def translate(err: BaseException, doing: str) -> StoreError:
    """A StoreError for `err`, to be raised `from err`."""
    if isinstance(err, StoreError):
        return err
    return classify(err)(f"{doing}: {type(err).__name__}: {err}")
