"""Webhook signatures: HMAC-SHA256 over `<timestamp>.<body>` with the subscription's secret (the timestamp is in
the signed text, so a captured request cannot be replayed later with a fresh timestamp).

Headers of every attempt: `X-VSSD-Signature: sha256=<hex>`, `X-VSSD-Timestamp: <unix seconds>`,
`X-VSSD-Event: <event name>`, `X-VSSD-Delivery` and `Idempotency-Key: <delivery id>` (the same on every retry:
deliveries are at-least-once, a receiver drops an id it has seen).
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE, TIMESTAMP, EVENT, DELIVERY, IDEMPOTENCY = (
    "X-VSSD-Signature", "X-VSSD-Timestamp", "X-VSSD-Event", "X-VSSD-Delivery", "Idempotency-Key")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver checks (tests, docs): the signature of this timestamp and body, compared in constant time."""
    if not timestamp.isdigit():
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)


def signed_headers(secret: str, delivery_id: str, event: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {"Content-Type": "application/json", SIGNATURE: sign(secret, timestamp, body),
            TIMESTAMP: str(timestamp), EVENT: event, DELIVERY: delivery_id, IDEMPOTENCY: delivery_id}
