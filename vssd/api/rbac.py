"""Role-based access: the seeds' roles, the alias table of their permission spellings, and the
route-permission registry (deny by default).

Every handler declares what it needs with `@needs("vssd.slots.{slot_id}.read")` (match_info fills the
braces), `@public` or `@needs(AUTHENTICATED)`. `check_routes(app)` refuses an app with an undeclared route
(make_app calls it, so such an app never starts), and the `authorize` middleware in `authn.py` refuses
any request whose handler declares nothing (a route added after start-up).

"Own" rules are object-level: `@needs("vssd.operators.{operator_id}.update", own="operator_id")` also
accepts `vssd.operators.own.update` when the caller's user id is the `operator_id` of the path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web

from vssd.api.acl import allowed, canonical

AUTHENTICATED = "authenticated"  # any valid token, no particular permission
_ATTR = "vssd_needs"
_SAFE_SEGMENT = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
VERBS = ("read", "create", "update", "delete")

# The documented roles (the routes reference's "РОЛИ И ПРАВА ДОСТУПА", the operating manual's "Роли в системе",
# the Smart Call Center API's "Roles:" per route), canonical. The console (issue 11) adds: a supervisor writes
# notes on any call and acknowledges alerts; an operator's notes are on their own calls only (`crm.notes.any`).
# Sellers and operators work on their own CRM leads only (`crm.leads.any`: vssd.api.crm.leads).
BUILTIN_ROLES: dict[str, list[str]] = {
    "admin": ["#"],
    "manager": ["vssd.slots.#", "vssd.calls.#", "vssd.dashboard.#", "vssd.operators.#", "vssd.queues.#",
                "vssd.campaigns.#", "vssd.crm.#", "vssd.reports.#", "vssd.trunks.read", "vssd.cdr.read",
                "vssd.monitor.read", "vssd.pbx.read"],
    "supervisor": ["vssd.#.read", "vssd.reports.#", "vssd.crm.notes.#", "vssd.system.alerts.#", "!vssd.admin.#",
                   "!vssd.settings.#"],
    "operator": ["vssd.calls.#", "vssd.slots.read", "vssd.slots.*.read", "vssd.crm.#", "vssd.guacamole.#",
                 "vssd.dashboard.read", "vssd.operators.own.#", "!vssd.crm.notes.any.#", "!vssd.crm.leads.any.#",
                 # the CRM's leads are the sellers': an operator reads theirs, changes and pushes none
                 "!vssd.crm.leads.update", "!vssd.crm.leads.*.update",
                 "!vssd.users.#", "!vssd.roles.#", "!vssd.admin.#", "!vssd.audit.#"],
    # A seller's campaigns are their own (vssd/api/autodialer/scope.py): they create, read and run those.
    "seller": ["vssd.crm.#", "vssd.leads.#", "vssd.campaigns.read", "vssd.campaigns.*.read", "vssd.campaigns.create",
               "vssd.campaigns.update", "vssd.campaigns.*.update", "!vssd.campaigns.dnc.#", "vssd.calls.read",
               "vssd.calls.*.read", "!vssd.crm.leads.any.#", "!vssd.slots.#",
               "!vssd.calls.create", "!vssd.users.#", "!vssd.roles.#", "!vssd.admin.#", "!vssd.audit.#"],
}

FULL_RIGHTS_ROLE = "admin"  # always BUILTIN_ROLES["admin"] (full rights), whatever an admin edits

# The seeds' spellings: `call.start`, `slot.view`, `pipeline.run`, `calls:read`, `slots:write`, `slots:admin`.
VERB_ALIASES: dict[str, tuple[str, ...]] = {
    "read": ("read",), "view": ("read",), "list": ("read",), "get": ("read",),
    "create": ("create",), "start": ("create",), "run": ("create",), "call": ("create",),
    "update": ("update",), "edit": ("update",), "delete": ("delete",), "remove": ("delete",),
    "write": ("create", "update", "delete"), "admin": ("#",), "manage": ("#",), "all": ("#",), "*": ("#",),
}
AREA_ALIASES = {"call": "calls", "slot": "slots", "pipeline": "pipelines", "user": "users", "role": "roles",
                "lead": "leads", "trunk": "trunks", "note": "crm", "notes": "crm", "report": "reports",
                "operator": "operators", "queue": "queues", "campaign": "campaigns", "log": "audit",
                "logs": "audit"}
# The seeds' system names in `{"OTTB": ["read"]}` role bodies.
SYSTEM_AREAS: dict[str, tuple[str, ...]] = {
    "OTTB": ("slots", "trunks", "calls", "cdr", "pbx"),
    "POINT": ("users", "roles"),
    "WORKSPACE": ("dashboard", "crm", "leads", "calls"),
    "DCI": ("monitor", "pipelines", "dci"),
}


def expand(spelling: str) -> list[str]:
    """The canonical grants one spelling stands for (a leading `!` stays on each)."""
    text = spelling.strip()
    deny = "!" if text.startswith("!") else ""
    text = text.lstrip("!").replace(":", ".")
    if not text:
        return []
    if text in ("#", "*") or text.startswith("vssd."):
        return [deny + text]
    *area_parts, last = text.split(".")
    if last not in VERB_ALIASES:
        area_parts, last = [*area_parts, last], "admin"
    if not area_parts:
        return [deny + canonical(text)]
    area = ".".join([AREA_ALIASES.get(area_parts[0], area_parts[0]), *area_parts[1:]])
    return [deny + g for verb in VERB_ALIASES[last] for g in _area_grants(area, verb)]


def _area_grants(area: str, verb: str) -> list[str]:
    if verb == "#":
        return [f"vssd.{area}.#"]
    return [f"vssd.{area}.{verb}", f"vssd.{area}.*.{verb}"]


def normalize(value: Any) -> list[str]:
    """A role's permissions from any form the seeds use: a list of spellings or `{area|SYSTEM: [verbs]}`.
    ValueError when the shape is neither."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, Mapping):
        value = [f"{area}.{verb}" for key, verbs in value.items() for area in _areas(str(key))
                 for verb in _verbs(verbs)]
    if not isinstance(value, list | tuple) or not all(isinstance(p, str) for p in value):
        raise ValueError("permissions must be a list of strings or an object of lists of strings")
    out: list[str] = []
    for spelling in value:
        for grant in expand(spelling):
            if grant not in out:
                out.append(grant)
    return out


def _areas(key: str) -> tuple[str, ...]:
    return SYSTEM_AREAS.get(key.upper(), (key,))


def _verbs(verbs: Any) -> list[str]:
    if isinstance(verbs, str):
        verbs = [verbs]
    if not isinstance(verbs, list) or not all(isinstance(v, str) and v in VERB_ALIASES for v in verbs):
        raise ValueError(f"verbs must be a list of {', '.join(VERB_ALIASES)}")
    return verbs


def required_for(action: str) -> list[str]:
    """What a rolecheck `action` asks for: the collection-level grants of its spelling (`slots.read` →
    `vssd.slots.read`; `slots:write` → create, update and delete)."""
    grants = [g for g in expand(action) if not g.startswith("!")]
    plain = [g for g in grants if "*" not in g.split(".")]
    return plain or grants


def covers(holder: Iterable[str], grant: str) -> bool:
    """True when every request `grant` would allow is also allowed by `holder`'s rules: custom roles may
    not give what their creator lacks. A deny in the new role always passes (it only takes away)."""
    if grant.startswith("!"):
        return True
    rules = list(holder)
    literal = ".".join("#.#" if s == "#" else s for s in grant.split("."))
    if not allowed([r for r in rules if not r.startswith("!")], literal):
        return False
    for rule in (r[1:] for r in rules if r.startswith("!")):
        if _overlap(canonical(rule), grant):
            return False
    return allowed(rules, literal)


def _overlap(deny: str, grant: str) -> bool:
    """Could some permission match both patterns? (Each pattern tried on the other's concrete form.)"""
    def concrete(pattern: str) -> str:
        return ".".join("x" if s in ("#", "*") else s for s in pattern.split("."))
    return allowed([grant], concrete(deny)) or allowed([deny], concrete(grant))


@dataclass(frozen=True, slots=True)
class Needs:
    """A route's declared permission: None = public, AUTHENTICATED, or a dotted template."""

    permission: str | None
    own: str | None = None

    def required(self, match: Mapping[str, str]) -> tuple[str, str | None]:
        """(the permission for this request, its "own" form or None)."""
        assert self.permission is not None
        values = {k: v if _SAFE_SEGMENT.match(v) else "_" for k, v in match.items()}
        required = self.permission.format_map(values)
        if self.own is None:
            return required, None
        return required, self.permission.format_map({**values, self.own: "own"})


H = TypeVar("H", bound=Callable[..., Any])


def needs(permission: str | None, *, own: str | None = None) -> Callable[[H], H]:
    """Declare a handler's permission (see the module docstring)."""
    spec = Needs(permission, own)

    def mark(handler: H) -> H:
        setattr(handler, _ATTR, spec)
        return handler

    return mark


public = needs(None)


def declared(handler: Any) -> Needs | None:
    return getattr(handler, _ATTR, None)


# Routes whose handlers cannot carry the mark (bound methods of a library, e.g. Socket.IO's): by route.
ROUTE_NEEDS: web.AppKey[dict[web.AbstractRoute, Needs]] = web.AppKey("vssd_route_needs")


def declare_prefixes(app: web.Application, prefixes: tuple[str, ...], spec: Needs) -> None:
    """Declare every route under `prefixes` (which authenticate on their own, like the real-time ones)."""
    table = app.setdefault(ROUTE_NEEDS, {})
    for route in app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if path.startswith(prefixes) and declared(route.handler) is None:
            table[route] = spec


def needs_of(app: web.Application, route: web.AbstractRoute) -> Needs | None:
    return declared(route.handler) or app.get(ROUTE_NEEDS, {}).get(route)


def check_routes(app: web.Application) -> None:
    """Refuse (RuntimeError) an app with any route whose handler declares no permission."""
    missing = sorted({f"{r.method} {r.resource.canonical if r.resource else '?'}"
                      for r in app.router.routes() if needs_of(app, r) is None})
    if missing:
        raise RuntimeError(f"routes without a declared permission: {', '.join(missing)}")
