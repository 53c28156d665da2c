"""The rows the batch writer writes: table layouts, value coercion, merging and (de)serialisation.

Values are coerced when submitted, so a wrong type fails in the caller, not later inside a batch.
Keyed tables (calls by attempt_id, call_legs by uniqueid) are upserts: a later non-null value wins.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any


def _text(value: Any) -> str:
    if isinstance(value, Enum):
        value = value.value
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return int(value)


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return float(value)


def _timestamp(value: Any) -> datetime:
    """datetime (naive = UTC), epoch seconds, or ISO text (what the spill file holds)."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        return _timestamp(datetime.fromisoformat(value))
    raise TypeError(f"expected a timestamp, got {type(value).__name__}")


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


COERCE: dict[str, Callable[[Any], Any]] = {
    "text": _text,
    "bigint": _int,
    "integer": _int,
    "double precision": _float,
    "timestamptz": _timestamp,
    "uuid": _uuid,
}


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[tuple[str, str], ...]  # (column, SQL type), key first for keyed tables
    key: str | None = None  # None: append-only (plain COPY); else COPY into a stage table + upsert
    required: tuple[str, ...] = ()
    choices: Mapping[str, frozenset[str]] = field(default_factory=dict)  # mirrors the CHECK constraints
    defaults: Mapping[str, str] = field(default_factory=dict)  # SQL defaults of NOT NULL columns, on insert

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    def coerce(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        types = dict(self.columns)
        row: dict[str, Any] = {}
        for name, value in fields.items():
            if name not in types:
                raise ValueError(f"{self.name} has no column {name!r}")
            if value is None:
                continue
            try:
                row[name] = COERCE[types[name]](value)
            except (TypeError, ValueError) as err:
                raise ValueError(f"{self.name}.{name}: {err}") from err
            allowed = self.choices.get(name)
            if allowed is not None and row[name] not in allowed:
                raise ValueError(f"{self.name}.{name}: {row[name]!r} is not one of {sorted(allowed)}")
        missing = [c for c in self.required if c not in row]
        if missing:
            raise ValueError(f"{self.name}: missing {', '.join(missing)}")
        return row

    def record(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        """The row as a COPY record, in column order (None for unset)."""
        return tuple(row.get(name) for name in self.column_names)

    def merge_sql(self, stage: str) -> tuple[str, str]:
        """Update existing rows (a non-null staged value wins), then insert the new ones.

        Two statements rather than INSERT … ON CONFLICT, because there a NOT NULL column's default would
        have to be spelled into the proposed row and could then overwrite a stored value.
        """
        key, cols = self.key, [c for c in self.column_names if c != self.key]
        sets = ", ".join(f"{c} = COALESCE(s.{c}, t.{c})" for c in cols)
        touch = ", updated_at = now()" if self.name == "calls" else ""
        update = f"UPDATE {self.name} AS t SET {sets}{touch} FROM {stage} AS s WHERE t.{key} = s.{key}"
        present = [c for c in self.column_names]
        values = ", ".join(
            f"COALESCE(s.{c}, {self.defaults[c]})" if c in self.defaults else f"s.{c}" for c in present
        )
        insert = (
            f"INSERT INTO {self.name} ({', '.join(present)}) SELECT {values} FROM {stage} AS s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {self.name} AS t WHERE t.{key} = s.{key}) "
            f"ON CONFLICT ({key}) DO NOTHING"
        )
        return update, insert

    def stage_ddl(self, stage: str) -> str:
        cols = ", ".join(f"{name} {sql_type}" for name, sql_type in self.columns)
        return f"CREATE TEMP TABLE IF NOT EXISTS {stage} ({cols}) ON COMMIT DELETE ROWS"


TRANSITIONS = TableSpec(
    "slot_transitions",
    (("slot_id", "bigint"), ("from_state", "text"), ("to_state", "text"), ("event", "text"),
     ("cause", "text"), ("at", "timestamptz")),
    required=("slot_id", "from_state", "to_state", "event", "at"),
)

CALLS = TableSpec(
    "calls",
    (("attempt_id", "text"), ("call_id", "text"), ("slot_id", "bigint"), ("number", "text"),
     ("caller_id", "text"), ("direction", "text"), ("status", "text"), ("outcome", "text"),
     ("hangup_cause", "integer"), ("hangup_cause_text", "text"), ("answer_evidence", "text"),
     ("channel_id", "text"), ("linkedid", "text"), ("ring_s", "double precision"),
     ("talk_s", "double precision"), ("originated_at", "timestamptz"), ("answered_at", "timestamptz"),
     ("ended_at", "timestamptz"), ("campaign_id", "text"), ("lead_id", "bigint"), ("user_id", "uuid"),
     ("recording_url", "text"), ("notes", "text")),
    key="attempt_id",
    required=("attempt_id",),
    choices={
        "outcome": frozenset({
            "answered", "busy", "no_answer", "rejected", "cancelled", "congestion", "unavailable",
            "invalid_number", "failed", "abandoned", "lost", "unknown",
        }),
        "direction": frozenset({"outbound", "inbound"}),
    },
    defaults={"number": "''", "direction": "'outbound'", "status": "'CALLING'"},
)

LEGS = TableSpec(
    "call_legs",
    (("uniqueid", "text"), ("attempt_id", "text"), ("channel", "text"), ("role", "text"),
     ("linkedid", "text"), ("created_at", "timestamptz"), ("answered_at", "timestamptz"),
     ("ended_at", "timestamptz"), ("cause", "integer"), ("cause_text", "text")),
    key="uniqueid",
    required=("uniqueid", "attempt_id"),
    defaults={"channel": "''", "role": "''"},
)

TABLES: dict[str, TableSpec] = {spec.name: spec for spec in (TRANSITIONS, CALLS, LEGS)}


def merge(older: Mapping[str, Any], newer: Mapping[str, Any]) -> dict[str, Any]:
    """Keyed rows: the newer row's values win; it never clears a value (rows hold no None)."""
    return {**older, **newer}


def to_json_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else str(v) if isinstance(v, uuid.UUID) else v
            for k, v in row.items()}
