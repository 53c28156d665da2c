"""The PBX resource's response shapes. A call is `vssd.views.calls` (the call desk builds it); status, a routed
call and a CDR are the ports' answers as they are; here the answers only the API gives."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def dialed_view(view: Mapping[str, Any], source: Any, trunk: Any) -> dict[str, Any]:
    """`POST /api/pbx/dial`'s answer: the call, and the WORKSPACE API's `from`/`to`/`trunk` as asked."""
    return {**view, "from": source, "to": view.get("phone_number"), "trunk": trunk}
