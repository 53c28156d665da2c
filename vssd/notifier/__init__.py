"""The notifier (issue 12): notifications to users, roles and channels, and webhooks subscribed to catalogue events.

`engine.NotifierEngine` owns the deliveries (WebSocket, e-mail, webhook), their states and retries; it reaches the
database, the HTTP client and SMTP only through `ports`. Wired by `vssd/services/notifier.py`; see docs/notifier.md.
"""

from vssd.notifier.engine import NotifierEngine, Settings
from vssd.notifier.model import CHANNELS, STATES, Delivery, Recipient, Webhook
from vssd.notifier.signing import sign, signed_headers, verify

__all__ = ["CHANNELS", "STATES", "Delivery", "NotifierEngine", "Recipient", "Settings", "Webhook", "sign",
           "signed_headers", "verify"]
