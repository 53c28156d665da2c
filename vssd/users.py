"""A user as the store reads it and the API authenticates it: one record shared by both layers (adapters may
not import the API, so it lives outside either)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class UserRecord:
    id: str  # users.id is a uuid in the store (rendered as text)
    username: str
    email: str
    role: str
    password_hash: str
    active: bool = True
    permissions: list[str] = field(default_factory=list)
    full_name: str = ""
