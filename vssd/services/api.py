"""The API service: builtin roles and the admin ensured, token state (Redis when configured), the API's ports
wired to the services, and the server on every listen address."""

from __future__ import annotations

import secrets
import time

from vssd.adapters.ami_probe import AmiProbe
from vssd.adapters.redis_state import RedisAuthState
from vssd.adapters.secret_box import SecretBox
from vssd.adapters.store_audit import StoreAuditLog
from vssd.adapters.store_call_stats import StoreCallStats
from vssd.adapters.store_crm_leads import StoreCrmLeads
from vssd.adapters.store_crm_notes import StoreCrmNotes
from vssd.adapters.store_settings import StoreSettings
from vssd.adapters.store_slot_history import StoreSlotHistory
from vssd.adapters.store_users import StoreUserDirectory, ensure_admin, sync_builtin_roles, verify_password
from vssd.api.app import make_app
from vssd.api.deps import ApiDeps
from vssd.api.ports import Readiness
from vssd.api.rbac import BUILTIN_ROLES
from vssd.api.server import ApiServer
from vssd.config import admin_password
from vssd.config.models import Config
from vssd.events import EventDispatcher
from vssd.metrics import Metrics
from vssd.services.alerts import AlertsService
from vssd.services.control import ControlService
from vssd.services.dci import DciService
from vssd.services.dialing import DialingService
from vssd.services.notifier import NotifierService
from vssd.services.settings import LiveSettings, defaults, settings_key
from vssd.services.store import StoreService


class ApiService:
    name = "api"

    def __init__(self, config: Config, metrics: Metrics, events: EventDispatcher, readiness: Readiness,
                 stores: StoreService, control: ControlService, dialing: DialingService,
                 alerts: AlertsService | None = None, notifications: NotifierService | None = None,
                 dci: DciService | None = None) -> None:
        self.config, self.metrics, self.events, self.readiness = config, metrics, events, readiness
        self.stores, self.control, self.dialing = stores, control, dialing
        self.alerts, self.notifications, self.dci = alerts, notifications, dci
        self.auth_state: RedisAuthState | None = None
        self.server: ApiServer | None = None
        self.started_at = time.time()
        self.live_settings = LiveSettings(config, dialing)

    async def start(self) -> None:
        cfg = self.config
        await self._prepare_auth()
        deps = self._deps()
        self.live_settings.deps = deps
        await self._apply_saved_settings(deps)
        app = make_app(deps, cors_origins=cfg.http.cors_allow_origins)
        self.server = ApiServer(app, [(a.host, a.port) for a in cfg.http.listen],
                                shutdown_timeout_s=cfg.http.shutdown_grace_s)
        await self.server.start()

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()
        if self.auth_state is not None:
            await self.auth_state.close()

    def health(self) -> bool:
        return self.server is not None

    async def _prepare_auth(self) -> None:
        """Builtin roles synced, the admin ensured (one password rule: `vssd.config.admin_password`), Redis-backed
        token state when Redis is configured."""
        store, cfg = self.stores.store, self.config
        await sync_builtin_roles(store, BUILTIN_ROLES)
        if cfg.redis.url is not None:
            self.auth_state = RedisAuthState.from_url(cfg.redis.url.get_secret_value(), time.time, cfg.redis.key_prefix)
        await ensure_admin(store, cfg.auth.admin_username, admin_password(cfg),
                           reset_password=cfg.auth.admin_password is not None)

    def _deps(self) -> ApiDeps:
        cfg, limits, control, store = self.config, self.config.rate_limits, self.control, self.stores.store
        on = limits.enabled
        assert control.slots and control.calls and control.devices and control.monitor, "control started first"
        return ApiDeps(
            slots=control.slots, calls=control.feed, slot_admin=control.slots, trunks=control.slots,
            devices=control.devices, monitor=control.monitor, users=StoreUserDirectory(store),
            readiness=self.readiness, verify_password=verify_password, jwt_secret=self._jwt_secret(),
            metrics=self.metrics, demo=cfg.mode == "demo", access_ttl_s=cfg.auth.access_token_ttl_s,
            refresh_ttl_s=cfg.auth.refresh_token_ttl_s, jwt_algorithm=cfg.auth.jwt_algorithm,
            max_body_bytes=cfg.http.max_body_bytes,
            auth_per_minute=limits.auth_per_minute if on else None,
            api_per_minute=limits.api_per_minute if on else None,
            dashboard_per_minute=limits.dashboard_per_minute if on else None,
            auth_state=self.auth_state, audit=StoreAuditLog(store), events=self.events,
            call_desk=control.calls, pbx=control.calls, autodialer=self.dialing.desk,
            slot_history=StoreSlotHistory(store), crm_notes=StoreCrmNotes(store),
            crm_leads=StoreCrmLeads(store),
            alerts=self.alerts.book if self.alerts is not None else None,
            call_figures=StoreCallStats(store),
            settings=StoreSettings(store, SecretBox(settings_key(cfg))),
            ami_probe=AmiProbe([cfg.ami.host, *cfg.ami.test_hosts]), settings_defaults=defaults(cfg),
            settings_applied=self.live_settings.apply, started_at=self.started_at,
            notifier=self.notifications.desk if self.notifications is not None else None,
            dci=self.dci.desk if self.dci is not None else None,
        )

    async def _apply_saved_settings(self, deps: ApiDeps) -> None:
        """An admin's saved settings hold across restarts: applied before the API serves."""
        assert deps.settings is not None
        saved = await deps.settings.load()
        if saved:
            self.live_settings.apply(saved)

    def _jwt_secret(self) -> str:
        """Configured, or (demo) generated once and kept in the state directory."""
        if self.config.auth.jwt_secret is not None:
            return self.config.auth.jwt_secret.get_secret_value()
        path = self.config.state.dir / "jwt_secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()
