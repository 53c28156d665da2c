"""The alerts resource's response shapes. An alert is the store's view as it is (see `AlertDesk`); here the
answers only the API gives."""

from __future__ import annotations

from typing import Any


def acknowledged_view(alert: dict[str, Any]) -> dict[str, Any]:
    """`POST /api/alerts/{id}/ack`'s answer: the alert, with the seeds' `status` word beside it."""
    return {"status": "acknowledged", **alert}
