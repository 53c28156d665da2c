"""Notifications and webhook subscriptions (`/api/notifier/…`)."""
