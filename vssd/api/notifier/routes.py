"""The notifier (the routes reference's WORKSPACE "Send Notification" / "Notification History", and webhook
subscriptions as Wazo's webhookd keeps them):

- `POST /api/notifier/send` → 202: a notification to a `user` (id or username), a `role`, or a `channel`
  (`email` with `address`; `webhook`: the subscriptions of the `notification` event), over `channels`
  (websocket, email); the answer lists its deliveries;
- `GET /api/notifier/history`: every delivery, newest first, with its state (queued, sent, failed, retrying,
  dead), attempts and last error; filters state, channel, event, recipient, notification_id, webhook_id; paged;
- `GET|POST /api/notifier/webhooks`, `GET|PATCH|DELETE /api/notifier/webhooks/{webhook_id}`: subscriptions to
  catalogue events (the secret is shown once, in the create answer).
"""

from __future__ import annotations

from aiohttp import web

from vssd.api.authn import PRINCIPAL
from vssd.api.body import object_body
from vssd.api.deps import deps_of
from vssd.api.errors import not_found, port_call, port_or_503
from vssd.api.notifier.validate import history_filters, send_request, webhook_fields
from vssd.api.notifier.views import deleted_view
from vssd.api.paging import list_response, page_of
from vssd.api.ports import NotifierDesk
from vssd.api.rbac import needs
from vssd.api.respond import json_response
from vssd.api.routing import Route


def _desk(request: web.Request) -> NotifierDesk:
    return port_or_503(deps_of(request).notifier, "the notifier")


def _who(request: web.Request) -> str | None:
    who = request.get(PRINCIPAL)
    return who.username if who is not None and not who.anonymous else None


def _webhook_id(request: web.Request) -> str:
    raw = request.match_info["webhook_id"]
    if not raw.startswith("wh_") or len(raw) > 64:
        raise not_found(f"webhook {raw} not found")
    return raw


@needs("vssd.notifier.create")
async def send(request: web.Request) -> web.Response:
    body = send_request(await object_body(request))
    return json_response(await port_call(_desk(request).send(body, _who(request)), "notification"), status=202)


@needs("vssd.notifier.read")
async def history(request: web.Request) -> web.Response:
    page = page_of(request.query, default_limit=50, max_limit=500)
    filters = history_filters(request.query)
    items, total = await port_call(_desk(request).history(page.limit, page.offset, filters), "history")
    return list_response(items, total)


@needs("vssd.notifier.webhooks.read")
async def list_webhooks(request: web.Request) -> web.Response:
    page = page_of(request.query, default_limit=100, max_limit=500)
    items, total = await port_call(_desk(request).list_webhooks(page.limit, page.offset), "webhooks")
    return list_response(items, total)


@needs("vssd.notifier.webhooks.create")
async def create_webhook(request: web.Request) -> web.Response:
    fields = webhook_fields(await object_body(request), creating=True)
    view = await port_call(_desk(request).create_webhook(fields, _who(request)), "webhook")
    return json_response(view, status=201)


@needs("vssd.notifier.webhooks.{webhook_id}.read")
async def get_webhook(request: web.Request) -> web.Response:
    webhook_id = _webhook_id(request)
    view = await port_call(_desk(request).get_webhook(webhook_id), "webhook")
    if view is None:
        raise not_found(f"webhook {webhook_id} not found")
    return json_response(view)


@needs("vssd.notifier.webhooks.{webhook_id}.update")
async def patch_webhook(request: web.Request) -> web.Response:
    webhook_id = _webhook_id(request)
    fields = webhook_fields(await object_body(request), creating=False)
    return json_response(await port_call(_desk(request).update_webhook(webhook_id, fields), f"webhook {webhook_id}"))


@needs("vssd.notifier.webhooks.{webhook_id}.delete")
async def delete_webhook(request: web.Request) -> web.Response:
    webhook_id = _webhook_id(request)
    await port_call(_desk(request).delete_webhook(webhook_id), f"webhook {webhook_id}")
    return json_response(deleted_view(webhook_id))


ROUTES = (
    Route("POST", "/notifier/send", send),
    Route("GET", "/notifier/history", history),
    Route("GET", "/notifier/webhooks", list_webhooks),
    Route("POST", "/notifier/webhooks", create_webhook),
    Route("GET", "/notifier/webhooks/{webhook_id}", get_webhook),
    Route("PATCH", "/notifier/webhooks/{webhook_id}", patch_webhook),
    Route("DELETE", "/notifier/webhooks/{webhook_id}", delete_webhook),
)
