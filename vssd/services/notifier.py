"""The notifier service: the engine of vssd/notifier over the store, an aiohttp webhook client and SMTP, its
dispatcher listener (webhook subscriptions, the system.alert rule) and its one supervised loop; the API's
`NotifierDesk`. Pending deliveries of a previous run resume when it starts."""

from __future__ import annotations

from collections.abc import Callable

from vssd.actors.loops import Loops
from vssd.adapters.smtp import SmtpMailer
from vssd.adapters.store_notifier import StoreNotifier
from vssd.adapters.webhooks import WebhookClient
from vssd.config.models import Config
from vssd.events import EventDispatcher
from vssd.notifier.desk import NotifierDesk
from vssd.notifier.engine import NotifierEngine, Settings
from vssd.services.store import StoreService

LOOP = "notifier"


def settings_of(config: Config) -> Settings:
    notifier = config.notifier
    return Settings(max_attempts=notifier.max_attempts, retry_base_s=notifier.retry_base_s,
                    retry_cap_s=notifier.retry_cap_s, concurrency=notifier.concurrency, batch=notifier.batch,
                    queue_size=notifier.queue_size, alert_min_severity=notifier.alert_min_severity,
                    alert_roles=tuple(notifier.alert_roles), alert_channels=tuple(notifier.alert_channels))


def mailer_of(config: Config) -> SmtpMailer | None:
    smtp = config.notifier.smtp
    if not smtp.enabled:
        return None
    return SmtpMailer(host=smtp.host, port=smtp.port, sender=smtp.sender, username=smtp.username,
                      password=smtp.password.get_secret_value() if smtp.password else None,
                      starttls=smtp.starttls, timeout_s=smtp.timeout_s)


class NotifierService:
    name = "notifier"

    def __init__(self, config: Config, stores: StoreService, events: EventDispatcher, loops: Loops) -> None:
        self.config, self.stores, self.events, self.loops = config, stores, events, loops
        self.engine: NotifierEngine | None = None
        self.desk: NotifierDesk | None = None
        self.poster: WebhookClient | None = None
        self._unlisten: Callable[[], None] | None = None

    async def start(self) -> None:
        notifier = self.config.notifier
        rows = StoreNotifier(self.stores.store)
        self.poster = WebhookClient(timeout_s=notifier.webhook_timeout_s, concurrency=notifier.concurrency)
        self.engine = NotifierEngine(rows, rows, rows, self.poster, mailer_of(self.config), self.events,
                                     settings_of(self.config))
        self.desk = NotifierDesk(self.engine, rows, rows)
        await self.engine.reload_webhooks()
        self._unlisten = self.events.listen(self.engine.on_event)
        self.loops.start(LOOP, self.engine.run)

    async def stop(self) -> None:
        if self._unlisten is not None:
            self._unlisten()
        await self.loops.remove(LOOP)
        if self.poster is not None:
            await self.poster.close()

    def health(self) -> bool:
        return self.engine is not None and LOOP not in self.loops.faulted
