"""The settings resource's answers: settings with the AMI password masked, the Asterisk test in the Smart Call
Center API's shape (`success`, `message`, `data`), and the system info."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from vssd.api.settings.model import MASK

CAUSES = {
    "refused": ("Connection refused", ["Asterisk сервер не запущен", "Неверный порт", "AMI выключен (manager.conf)"]),
    "timeout": ("Connection timeout", ["Asterisk сервер не запущен", "Неверный порт",
                                       "Брандмауэр блокирует подключение"]),
    "auth_failed": ("Authentication failed", ["Неверное имя пользователя или пароль AMI",
                                              "Пользователь не описан в manager.conf", "Запрещён адрес (permit/deny)"]),
    "not_ami": ("Not an AMI port", ["Порт принадлежит другой службе", "Указан порт ARI/HTTP вместо AMI (5038)"]),
    "unreachable": ("Host unreachable", ["Неверный адрес", "Нет маршрута до сервера"]),
}
TROUBLESHOOTING = ["Проверьте доступность Asterisk сервера", "Убедитесь в корректности учетных данных",
                   "Проверьте настройки брандмауэра"]


def settings_view(values: Mapping[str, Any]) -> dict[str, Any]:
    """The settings as answered: the password never (the mask when one is stored), `password_set` beside it."""
    asterisk = dict(values.get("asterisk_config") or {})
    has_password = bool(asterisk.get("password"))
    asterisk["password"] = MASK if has_password else None
    asterisk["password_set"] = has_password
    updated_at = values.get("updated_at")
    return {**values, "asterisk_config": asterisk, "updated_by": values.get("updated_by"),
            "updated_at": updated_at.isoformat() if isinstance(updated_at, datetime) else updated_at}


def test_view(host: str, port: int, protocol: str, outcome: Mapping[str, Any]) -> dict[str, Any]:
    result = str(outcome["result"])
    facts = {"host": host, "port": port, "protocol": protocol, "result": result,
             "elapsed_ms": outcome.get("elapsed_ms"), "banner": outcome.get("banner")}
    if result == "connected":
        version = outcome.get("version")
        return {"success": True, "message": f"Успешное подключение к Asterisk {version}: {outcome['message']}",
                "data": {"asterisk_version": version, "system": outcome.get("banner"),
                         "connection_details": {**facts, "status": "Connected"}}}
    error, causes = CAUSES.get(result, (result, []))
    return {"success": False, "message": f"{error}: {outcome['message']}",
            "data": {"error": error, "details": {**facts, "possible_causes": causes},
                     "troubleshooting": TROUBLESHOOTING}}


def uptime_text(seconds: float) -> str:
    """The document's spelling: "2 days, 14:30:22" (and "14:30:22" under a day)."""
    whole = max(0, int(seconds))
    days, rest = divmod(whole, 86_400)
    clock = f"{rest // 3600}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    if not days:
        return clock
    return f"{days} day{'s' if days != 1 else ''}, {clock}"


def info_view(counts: Mapping[str, int], checks: Mapping[str, bool], uptime_s: float) -> dict[str, Any]:
    database = checks.get("store")
    return {"users": counts["users"], "operators": counts["operators"], "calls_today": counts["calls_today"],
            "asterisk_connected": bool(checks.get("pbx", False)),
            "database_status": "connected" if database is not False else "disconnected",
            "uptime": uptime_text(uptime_s), "uptime_s": int(uptime_s), "services": dict(checks)}
