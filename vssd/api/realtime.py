"""Real-time events: WebSocket `/ws/events` and Socket.IO v4 (python-socketio, `/socket.io/`) on the API app.

One `Hub` per app subscribes to the daemon's event dispatcher (`ApiDeps.events`, vssd/events) and fans each event
out to its clients.
- Shapes: Socket.IO emits the event name with the view as its data (`socket.on('call.update', data => …)`);
  `/ws/events` sends `{"type": <event>, "event": <event>, "data": <view>}` (the framing of the WORKSPACE API and the
  Smart Call Center API).
  `call_started` / `call_answered` / `call_ended` are derived by the dispatcher (vssd/events), not here.
- `slot.update` is coalesced per slot: at most one per `1 / slot_rate_hz` seconds, the latest state always sent.
- An addressed event (`Event.addressed`: the notifier's `notification`, its `to_users`) reaches only the
  connections of the users it names — no permission makes another user's client receive it.
- Backpressure: every client has a bounded send buffer of `buffer` events. Overflow policy: a client whose buffer
  is full (it is `buffer` events behind) is disconnected at once — its transport aborted — and never slows the
  hub or the daemon; it resyncs through REST when it reconnects. For Socket.IO the buffer is engine.io's queue.
- Auth: a token from the Socket.IO auth payload, the `token` query parameter, `Authorization: Bearer`, or (on
  `/ws/events`) a first message `{"type": "auth", "token": …}`. The demo admits anonymous read-only clients that
  present no token at all; a presented token that fails is refused in every mode (401 before the upgrade; after
  an auth message: an `error` frame and close 4401). An accepted auth message is answered with a fresh
  `connected` frame.
- Subscriptions: a client gets every group it may read until it sends `subscribe:calls` / `subscribe:slots`
  (Socket.IO event, or `{"type": "subscribe:calls"}` on the WebSocket); from then on only what it subscribed to.
- aiohttp-cors must not be applied to the `/socket.io/` route (engine.io answers CORS itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import orjson
import socketio
from aiohttp import WSMsgType, web

from vssd.api.acl import allowed
from vssd.api.authn import bearer, verified
from vssd.api.deps import DEPS
from vssd.api.errors import ApiError
from vssd.api.tokens import ANONYMOUS, Principal
from vssd.events import CATALOGUE, GROUP_PERMISSION, Emitted
from vssd.log import get_logger
from vssd.tasks import TaskSet

log = get_logger("vssd.api.realtime")

WS_PATH = "/ws/events"
SIO_PATH = "socket.io"
UNAUTHORIZED_CLOSE = 4401
TOO_SLOW_CLOSE = 4408
Sender = Callable[["Outgoing"], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RealtimeSettings:
    buffer: int = 512  # events per client before it is disconnected
    slot_rate_hz: float = 10.0  # slot.update per slot
    auth_timeout_s: float = 5.0  # /ws/events: wait this long for a first-message token
    bus_queue: int = 16_384  # the hub's own subscription on the dispatcher (drop-oldest)


Audience = tuple[str, str, tuple[str, str] | None, tuple[str, frozenset[str]] | None]


def audience(topic: str) -> Audience:
    """(group, permission, own rule, owner-only rule) of an event by its catalogue class; the hub's own frames
    (`connected`, `pong`) are the system group's."""
    cls = CATALOGUE.get(topic)
    if cls is None:
        return "system", GROUP_PERMISSION["system"], None, None
    return cls.group, cls.permission, cls.own, cls.owner_only


class Outgoing:
    """One event on its way to many clients; the WebSocket frame is encoded once, by the first client to send it."""

    __slots__ = ("topic", "data", "_frame")

    def __init__(self, topic: str, data: Mapping[str, Any]) -> None:
        self.topic = topic
        self.data = data
        self._frame: str | None = None

    def ws_frame(self) -> str:
        """The `/ws/events` text frame (text, not binary: a browser hands binary frames over as a Blob)."""
        if self._frame is None:
            self._frame = orjson.dumps({"type": self.topic, "event": self.topic, "data": self.data}).decode()
        return self._frame


class Overflow(Exception):
    """The client's send buffer is full: it is disconnected."""


class Client:
    """One connection: who it is, what it wants, its bounded send buffer and the task that drains it."""

    _ids = itertools.count(1)

    def __init__(self, kind: str, who: Principal, buffer: int, send: Sender, abort: Callable[[], None]) -> None:
        self.id = f"{kind}-{next(self._ids)}"
        self.who = who
        self.groups: set[str] | None = None  # None: every group it may read
        self.queue: asyncio.Queue[Outgoing] = asyncio.Queue(buffer)
        self._send = send
        self._abort = abort
        self.writer: asyncio.Task[None] | None = None

    @property
    def who(self) -> Principal:
        return self._who

    @who.setter
    def who(self, who: Principal) -> None:
        self._who = who
        self._may: dict[str, bool] = {}

    def may(self, permission: str) -> bool:
        """The principal's right to an event's permission, checked once per permission (the fan-out asks for
        every event)."""
        if permission not in self._may:
            self._may[permission] = allowed(self.who.permissions, permission)
        return self._may[permission]

    def wants(self, group: str, permission: str) -> bool:
        """Whether this client gets an event of `group` that needs `permission` (the event's catalogue class)."""
        return (self.groups is None or group in self.groups) and self.may(permission)

    def owns(self, group: str, own: tuple[str, str] | None, data: Mapping[str, Any]) -> bool:
        """An event this client may not read in general but that names it (`Event.own`: field, permission)."""
        if own is None or not self.who.user_id or (self.groups is not None and group not in self.groups):
            return False
        field, permission = own
        return str(data.get(field) or "") == self.who.user_id and self.may(permission)

    def barred(self, owner_only: tuple[str, frozenset[str]] | None, data: Mapping[str, Any]) -> bool:
        """An event for its owner alone when this client's role is one that hears only its own (`owner_only`)."""
        if owner_only is None or self.who.role not in owner_only[1]:
            return False
        return not self.who.user_id or str(data.get(owner_only[0]) or "") != self.who.user_id

    def subscribe(self, group: str, on: bool = True) -> None:
        current = set() if self.groups is None else self.groups
        self.groups = current | {group} if on else current - {group}

    def offer(self, event: Outgoing) -> bool:
        """Queue an event; False when the buffer is full (the hub then drops this client)."""
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            return False
        return True

    async def drain(self, on_gone: Callable[[Client], None]) -> None:
        try:
            while True:
                await self._send(await self.queue.get())
        except (ConnectionError, Overflow, RuntimeError) as err:
            log.info("realtime.client_dropped", client=self.id, reason=type(err).__name__)
            on_gone(self)

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self._abort()


class Coalescer:
    """At most one emit per key per `interval_s` (leading edge now, then the latest state at the window's end)."""

    def __init__(self, interval_s: float, emit: Callable[[Mapping[str, Any]], None], clock: Callable[[], float],
                 call_later: Callable[[float, Callable[[], None]], Any]) -> None:
        self.interval_s = interval_s
        self._emit = emit
        self._clock = clock
        self._call_later = call_later
        self._last: dict[Any, float] = {}
        self._pending: dict[Any, Mapping[str, Any]] = {}
        self._timers: dict[Any, Any] = {}

    def offer(self, key: Any, data: Mapping[str, Any]) -> None:
        if key in self._pending:
            self._pending[key] = data
            return
        now = self._clock()
        due = self._last.get(key, float("-inf")) + self.interval_s
        if now >= due:
            self._last[key] = now
            self._emit(data)
            return
        self._pending[key] = data
        self._timers[key] = self._call_later(due - now, lambda: self._flush(key))

    def _flush(self, key: Any) -> None:
        self._timers.pop(key, None)
        data = self._pending.pop(key, None)
        if data is not None:
            self._last[key] = self._clock()
            self._emit(data)

    def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._pending.clear()


def slot_payload(view: Mapping[str, Any]) -> dict[str, Any]:
    """A slot view with the DEMIURGE API reference's `slot_id` beside its `id`."""
    return {"slot_id": view.get("id"), **view} if "slot_id" not in view else dict(view)


class Hub:
    """Fans dispatched events out to WebSocket and Socket.IO clients (see the module docstring for the policies)."""

    def __init__(self, settings: RealtimeSettings | None = None) -> None:
        self.settings = settings or RealtimeSettings()
        self.tasks = TaskSet("realtime")
        self.clients: dict[str, Client] = {}
        self.dropped = 0
        self.sio: socketio.AsyncServer | None = None
        self._sub: Any = None
        self._coalescer: Coalescer | None = None

    def configure(self, **changes: Any) -> None:
        """Change settings before the app starts (tests: a small buffer)."""
        self.settings = replace(self.settings, **changes)

    async def start(self, app: web.Application) -> None:
        loop = asyncio.get_running_loop()
        self._coalescer = Coalescer(1.0 / self.settings.slot_rate_hz, self._fan_slot, loop.time, loop.call_later)
        events = app[DEPS].events
        if events is not None:
            self._sub = events.subscribe(None, self.settings.bus_queue)
            self.tasks.spawn(self._pump(), "pump")

    async def stop(self, app: web.Application) -> None:
        if self._sub is not None:
            self._sub.close()
        if self._coalescer is not None:
            self._coalescer.close()
        for client in list(self.clients.values()):
            client.abort()
        self.clients.clear()
        if self.sio is not None:
            await self.sio.shutdown()
        await self.tasks.cancel_all()

    async def _pump(self) -> None:
        while True:
            item: Emitted = await self._sub.get()
            try:
                self.dispatch(item.topic, item.data)
            except Exception:  # one malformed event must not end the stream for everyone
                log.exception("realtime.dispatch_failed", topic=item.topic)

    def dispatch(self, topic: str, data: Mapping[str, Any]) -> None:
        if topic == "slot.update" and self._coalescer is not None:
            self._coalescer.offer(data.get("id", data.get("slot_id")), data)
            return
        cls = CATALOGUE.get(topic)
        if cls is not None and cls.addressed is not None:
            self.fan_addressed(topic, data, cls.group, data.get(cls.addressed) or ())
            return
        self.fan_out(topic, data)

    def fan_addressed(self, topic: str, data: Mapping[str, Any], group: str, users: Any) -> None:
        """An event for named users (`Event.addressed`): their clients only, whatever the others may read."""
        wanted, event = {str(u) for u in users}, Outgoing(topic, data)
        for client in list(self.clients.values()):
            who, groups = client.who.user_id, client.groups
            if who and who in wanted and (groups is None or group in groups) and not client.offer(event):
                self.drop(client)

    def _fan_slot(self, data: Mapping[str, Any]) -> None:
        self.fan_out("slot.update", slot_payload(data))

    def fan_out(self, topic: str, data: Mapping[str, Any]) -> None:
        event, (group, permission, own, owner_only) = Outgoing(topic, data), audience(topic)
        for client in list(self.clients.values()):
            heard = client.wants(group, permission) or client.owns(group, own, data)
            if not heard or client.barred(owner_only, data):
                continue
            if not client.offer(event):
                self.drop(client)

    def join(self, client: Client) -> Client:
        self.clients[client.id] = client
        client.writer = self.tasks.spawn(client.drain(self.drop), f"send-{client.id}")
        return client

    def leave(self, client: Client) -> None:
        self.clients.pop(client.id, None)
        if client.writer is not None and client.writer is not asyncio.current_task():
            client.writer.cancel()

    def drop(self, client: Client) -> None:
        """Disconnect a client that cannot keep up (or whose connection failed)."""
        if self.clients.pop(client.id, None) is None:
            return
        self.dropped += 1
        log.warning("realtime.slow_client_disconnected", client=client.id, user=client.who.username)
        client.abort()
        self.leave(client)


HUB: web.AppKey[Hub] = web.AppKey("vssd_realtime_hub", Hub)
# The browser origins the API allows (`make_app` sets it before `attach`): Socket.IO answers CORS itself, for them.
CORS_ORIGINS: web.AppKey[tuple[str, ...]] = web.AppKey("vssd_cors_origins", tuple)


# ---- auth ---------------------------------------------------------------------------------------------------------
async def identify(app: web.Application, token: str | None) -> Principal | None:
    """The principal of a handshake token. A presented token is verified (401 AUTH_FAIL when it fails, in every
    mode); no token: anonymous in the demo, otherwise None (`/ws/events` may still take a first-message token)."""
    if token is not None:
        return await verified(app, token)
    return ANONYMOUS if app[DEPS].demo else None


def handshake_token(request: web.Request) -> str | None:
    """The token of the handshake: `?token=` or `Authorization: Bearer` (401 when that header is malformed)."""
    token = request.query.get("token")
    if token is not None:
        return token
    return bearer(request)


def _parse(text: str) -> dict[str, Any]:
    try:
        msg = orjson.loads(text)
    except orjson.JSONDecodeError:
        return {}
    return msg if isinstance(msg, dict) else {}


# ---- /ws/events --------------------------------------------------------------------------------------------------
async def ws_events(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    who = await identify(request.app, handshake_token(request))  # 401 before the upgrade for a bad token
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=64 * 1024)
    await ws.prepare(request)
    if who is None:
        who = await _first_message_auth(ws, request.app, hub.settings.auth_timeout_s)
        if who is None:
            return ws

    async def send(event: Outgoing) -> None:
        await ws.send_str(event.ws_frame())

    transport = request.transport

    def abort() -> None:
        if transport is not None:
            transport.abort()

    client = hub.join(Client("ws", who, hub.settings.buffer, send, abort))
    client.offer(connected(who))
    try:
        async for msg in ws:
            refused = await _on_ws_message(request.app, client, _parse(msg.data)) if msg.type == WSMsgType.TEXT \
                else None
            if refused is not None:
                hub.leave(client)
                await _refuse(ws, refused)
                break
    finally:
        hub.leave(client)
    return ws


def connected(who: Principal) -> Outgoing:
    """The frame that tells a client who the hub takes it for (on connect, and in answer to an auth message)."""
    return Outgoing("connected", {"user": who.username, "role": who.role, "anonymous": who.anonymous,
                                  "authenticated": not who.anonymous})


def auth_error(message: str) -> Outgoing:
    return Outgoing("error", {"code": "AUTH_FAIL", "message": message})


async def _refuse(ws: web.WebSocketResponse, message: str) -> None:
    """Answer a failed auth with an error frame, then close the connection (4401)."""
    with contextlib.suppress(ConnectionError, RuntimeError):
        await ws.send_str(auth_error(message).ws_frame())
    await ws.close(code=UNAUTHORIZED_CLOSE, message=b"unauthorized")


async def _first_message_auth(ws: web.WebSocketResponse, app: web.Application, timeout_s: float) -> Principal | None:
    """Outside the demo, a connection without a handshake token must authenticate with its first message
    (the Smart Call Center API's `{"type": "auth", "token": ...}`); otherwise error frame and close."""
    try:
        msg = await ws.receive(timeout=timeout_s)
    except TimeoutError:
        await _refuse(ws, "no token: send {\"type\": \"auth\", \"token\": ...} first")
        return None
    body = _parse(msg.data) if msg.type == WSMsgType.TEXT else {}
    if body.get("type") != "auth" or not isinstance(body.get("token"), str):
        await _refuse(ws, "the first message must be {\"type\": \"auth\", \"token\": ...}")
        return None
    try:
        return await verified(app, body["token"])
    except ApiError as err:
        await _refuse(ws, err.message)
        return None


async def _on_ws_message(app: web.Application, client: Client, body: dict[str, Any]) -> str | None:
    """Handle one client message; the reason when it was an auth message whose token failed (the caller closes)."""
    kind = str(body.get("type") or body.get("event") or "")
    if kind == "auth":
        token = body.get("token")
        try:
            client.who = await verified(app, token if isinstance(token, str) else "")
        except ApiError as err:
            return err.message
        client.offer(connected(client.who))
        return None
    verb, _, group = kind.partition(":")
    groups = [group] if group else [str(g) for g in body.get("topics", ()) if isinstance(g, str)]
    if verb in ("subscribe", "unsubscribe"):
        for name in groups:
            if name in GROUP_PERMISSION:
                client.subscribe(name, on=verb == "subscribe")
    elif kind == "ping":
        client.offer(Outgoing("pong", {}))
    return None


# ---- Socket.IO ---------------------------------------------------------------------------------------------------
def make_sio(app: web.Application, hub: Hub) -> socketio.AsyncServer:
    deps = app[DEPS]
    configured: tuple[str, ...] = app.get(CORS_ORIGINS, ())
    origins = list(configured) or None  # None: same origin only
    sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*" if deps.demo else origins,
                               max_http_buffer_size=64 * 1024)
    # engine.io's own background tasks (pings, handlers) are owned by the hub's TaskSet, so stop() ends them.
    sio.eio.start_background_task = lambda target, *a, **kw: hub.tasks.spawn(target(*a, **kw), "engineio")
    sids: dict[str, Client] = {}

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        request: web.Request = environ["aiohttp.request"]
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            who = await identify(app, token if isinstance(token, str) else handshake_token(request))
        except ApiError as err:
            raise socketio.exceptions.ConnectionRefusedError(
                "unauthorized", {"code": err.code, "message": err.message}) from None
        if who is None:
            raise socketio.exceptions.ConnectionRefusedError(
                "unauthorized", {"code": "AUTH_FAIL", "message": "a token is required"})
        sids[sid] = hub.join(Client("sio", who, hub.settings.buffer, _sio_sender(sio, sid, hub.settings.buffer),
                                    request.transport.abort if request.transport else lambda: None))

    @sio.event
    async def disconnect(sid: str, *args: Any) -> None:
        client = sids.pop(sid, None)
        if client is not None:
            hub.leave(client)

    @sio.on("*")
    async def any_event(event: str, sid: str, data: Any = None) -> None:
        client = sids.get(sid)
        verb, _, group = event.partition(":")
        if client is not None and verb in ("subscribe", "unsubscribe") and group in GROUP_PERMISSION:
            client.subscribe(group, on=verb == "subscribe")

    sio.attach(app, socketio_path=SIO_PATH)
    return sio


def _sio_sender(sio: socketio.AsyncServer, sid: str, buffer: int) -> Sender:
    async def send(event: Outgoing) -> None:
        await sio.emit(event.topic, event.data, to=sid)
        eio_socket = sio.eio.sockets.get(sio.manager.eio_sid_from_sid(sid, "/") or "")
        if eio_socket is not None and eio_socket.queue.qsize() >= buffer:
            raise Overflow(sid)

    return send


def cors_exempt(route: web.AbstractRoute) -> bool:
    """True for the routes aiohttp-cors must leave alone: Socket.IO's (engine.io answers CORS itself, and the two
    clash) and the WebSocket upgrade (no CORS in a WebSocket handshake)."""
    canonical = route.resource.canonical if route.resource is not None else ""
    return canonical.startswith(f"/{SIO_PATH}") or canonical == WS_PATH


def attach(app: web.Application, settings: RealtimeSettings | None = None) -> Hub:
    """Add `/ws/events` and Socket.IO to `app` (after `app[DEPS]` is set); the hub starts and stops with it."""
    hub = Hub(settings)
    app[HUB] = hub
    app.router.add_get(WS_PATH, ws_events)
    hub.sio = make_sio(app, hub)
    app.on_startup.append(hub.start)
    app.on_shutdown.append(hub.stop)
    return hub
