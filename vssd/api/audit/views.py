"""The audit resource's response shapes. An entry is the trail's own (`vssd.api.audit_log.entry_of`); here the
answers only the API gives."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def client_entry_view(entry: Mapping[str, Any], action: str, outcome: str, resource: Any,
                      details: dict[str, Any]) -> dict[str, Any]:
    """`POST /api/security/audit`'s entry (recorded and answered): the caller's request, the client's action."""
    return {**entry, "action": f"client.{action}", "outcome": outcome,
            "resource": str(resource)[:200] if resource is not None else None, "details": details}
