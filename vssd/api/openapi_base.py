"""The OpenAPI table's building blocks: the schema helpers (`obj`, `ref`, `array`, the scalar schemas),
`Param` and `Op`. Every area's entries are written with these; `vssd.api.openapi_schemas` gathers them.

Objects stay open (`additionalProperties` allowed): the seeds' shapes carry aliases (`id`/`call_id`,
`skip`/`offset`) that clients may rely on without the schema listing each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Schema = dict[str, Any]

STR: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
BOOL: Schema = {"type": "boolean"}
ANY_OBJ: Schema = {"type": "object"}
NULLABLE_STR: Schema = {"type": ["string", "null"]}
ID: Schema = {"type": ["string", "integer"]}
NUM: Schema = {"type": "number"}
NULL_NUM: Schema = {"type": ["number", "null"]}
NULL_INT: Schema = {"type": ["integer", "null"]}
DATE: Schema = {"type": "string", "format": "date"}
INSTANT: Schema = {"type": "string", "format": "date-time"}


def obj(must: tuple[str, ...] = (), /, **props: Schema) -> Schema:
    """An open object with `props`, the names in `must` required."""
    out: Schema = {"type": "object", "properties": props}
    if must:
        out["required"] = list(must)
    return out


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    schema: Schema = field(default_factory=lambda: dict(STR))
    required: bool = False


# `limit` within every list route's bound (the smallest is 500), offsets as the handlers accept them.
PAGING = (Param("limit", {"type": "integer", "minimum": 1, "maximum": 500}),
          Param("offset", {"type": "integer", "minimum": 0, "maximum": 10**9}),
          Param("skip", {"type": "integer", "minimum": 0, "maximum": 10**9}))


@dataclass(frozen=True, slots=True)
class Op:
    """One operation: a summary, its query parameters, its body and its success answer (status, schema)."""

    summary: str
    ok: Schema
    status: int = 200
    query: tuple[Param, ...] = ()
    body: Schema | None = None
    content_type: str = "application/json"
    tag: str = "api"
