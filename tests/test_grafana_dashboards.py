"""config/grafana: the provisioning YAML parses, the panels use the provisioned datasource, and every PromQL
expression of every dashboard names a series the daemon really exports (its registry as `Daemon` builds it,
rendered the way GET /metrics renders it)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from vssd.app import Daemon
from vssd.config.loader import load_config

GRAFANA = Path(__file__).resolve().parent.parent / "config" / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))

# ---- a small PromQL tokenizer ------------------------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`)
  | (?P<braces>\{(?:"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|[^}"'])*\})
  | (?P<range>\[[^\]]*\])
  | (?P<variable>\$\{[^}]*\}|\$\w+)
  | (?P<number>\d[\w.]*|\.\d[\w.]*)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<space>\s+)
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)
_NAME_MATCHER = re.compile(r"""__name__\s*=~?\s*["']([^"']*)["']""")
AGGREGATIONS = frozenset({"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
                          "bottomk", "topk", "quantile", "limitk", "limit_ratio"})
LABEL_LIST_KEYWORDS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
KEYWORDS = AGGREGATIONS | LABEL_LIST_KEYWORDS | {"and", "or", "unless", "bool", "offset", "atan2", "inf", "nan"}


def _tokens(expr: str) -> list[tuple[str, str]]:
    return [(m.lastgroup or "", m.group()) for m in _TOKEN.finditer(expr) if m.lastgroup != "space"]


def _skip_parens(tokens: list[tuple[str, str]], i: int) -> int:
    """Index after the parenthesised group that opens at `tokens[i]`."""
    depth = 0
    for j in range(i, len(tokens)):
        depth += {"(": 1, ")": -1}.get(tokens[j][1], 0)
        if depth == 0:
            return j + 1
    return len(tokens)


def metric_names(expr: str) -> set[str]:
    """The series names an expression selects: identifiers that are not functions (followed by `(`), keywords,
    or label names (inside `{…}`, or the lists of by/without/on/ignoring/group_left/group_right)."""
    tokens, names, i = _tokens(expr), set(), 0
    while i < len(tokens):
        kind, text = tokens[i]
        following = tokens[i + 1][1] if i + 1 < len(tokens) else ""
        if kind == "braces":
            names.update(_NAME_MATCHER.findall(text))
        elif kind == "ident" and text in LABEL_LIST_KEYWORDS and following == "(":
            i = _skip_parens(tokens, i + 1)
            continue
        elif kind == "ident" and following != "(" and text.lower() not in KEYWORDS:
            names.add(text)
        i += 1
    return names


# ---- what the daemon exports -------------------------------------------------------------------------------

# prometheus_client's text format: a counter family `x` is exposed as `x_total`, a histogram as `x_bucket`,
# `x_sum`, `x_count`; a labelled metric with no child yet has no sample, so its names come from its type.
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "summary": ("", "_sum", "_count"),
            "gauge": ("",), "untyped": ("",), "info": ("_info",), "stateset": ("",),
            "gaugehistogram": ("_bucket", "_gsum", "_gcount")}


def exported_series(text: str) -> set[str]:
    names = set()
    for family in text_string_to_metric_families(text):
        names.update(family.name + suffix for suffix in SUFFIXES[family.type])
        names.update(sample.name for sample in family.samples)
    return names


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The series of a daemon built from the default configuration (not started: the registry and every
    binding exist from construction)."""
    daemon = Daemon(load_config(None, {"VSSD_STATE__DIR": str(tmp_path_factory.mktemp("state"))}))
    return exported_series(generate_latest(daemon.metrics.registry).decode())


# ---- the dashboards ----------------------------------------------------------------------------------------

def _load(path: Path) -> dict[str, Any]:
    board = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(board, dict)
    return board


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))


def _variable_exprs(board: dict[str, Any]) -> Iterator[str]:
    """PromQL inside the dashboard's query variables: `label_values(selector, label)` or `query_result(expr)`."""
    for var in board.get("templating", {}).get("list", []):
        if var.get("type") != "query":
            continue
        query = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
        form = re.fullmatch(r"\s*(?:label_values\((.+),\s*\w+\)|query_result\((.+)\))\s*", query)
        assert form is not None, f"unrecognised variable query {query!r}"
        yield form.group(1) or form.group(2)


def exprs(board: dict[str, Any]) -> list[str]:
    found = [t["expr"] for p in _panels(board["panels"]) for t in p.get("targets", []) if "expr" in t]
    return found + list(_variable_exprs(board))


def _provisioned_uid() -> str:
    sources = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yaml").read_text())["datasources"]
    (prometheus,) = [s for s in sources if s["type"] == "prometheus"]
    return str(prometheus["uid"])


def test_tokenizer_finds_series_not_functions_keywords_or_labels() -> None:
    expr = ('histogram_quantile(0.99, sum by (le, route) (rate(vssd_http_request_duration_seconds_bucket'
            '{code=~"5..", route!="a{b}", instance=~"$instance"}[$__rate_interval] offset 5m)))'
            ' / on(instance) group_left(hub) sum without (type) (vssd_slots) > bool 0 and ignoring(x) up'
            ' unless {__name__="vssd_ami_link_up"} * inf')
    assert metric_names(expr) == {"vssd_http_request_duration_seconds_bucket", "vssd_slots", "up",
                                  "vssd_ami_link_up"}
    assert metric_names('topk(10, sum(rate(x_total[5m:1m])) by (type))') == {"x_total"}
    assert metric_names('count_values("v", y) + 1e3 + 0x1f') == {"y"}


def test_suffixes_follow_prometheus_client_naming(exported: set[str]) -> None:
    assert {"vssd_http_requests_total", "vssd_http_request_duration_seconds_bucket",
            "vssd_http_request_duration_seconds_count", "vssd_slots", "vssd_dialer_attempts_total",
            "vssd_service_healthy"} <= exported
    # a counter is only exposed with _total; a gauge never has one; a histogram's family name has no sample
    assert not {"vssd_http_requests", "vssd_slots_total", "vssd_event_loop_lag_seconds"} & exported


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_every_expression_names_an_exported_series(path: Path, exported: set[str]) -> None:
    board = _load(path)
    found = exprs(board)
    assert found, "a dashboard without queries"
    for expr in found:
        names = metric_names(expr)
        assert names, f"no series in {expr!r}"
        assert names <= exported, f"{path.name}: {sorted(names - exported)} not exported, in {expr!r}"


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_panels_use_the_provisioned_datasource(path: Path) -> None:
    uid, board = _provisioned_uid(), _load(path)
    queried = [p for p in _panels(board["panels"]) if p.get("type") != "row"]
    assert queried
    for panel in queried:
        assert panel["datasource"] == {"type": "prometheus", "uid": uid}, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == uid, panel["title"]
    for var in board["templating"]["list"]:
        assert var["datasource"]["uid"] == uid


def test_three_dashboards_with_unique_uids_and_a_sane_grid() -> None:
    boards = [_load(p) for p in DASHBOARDS]
    assert {b["uid"] for b in boards} == {"vssd-calls", "vssd-slots", "vssd-health"}
    for board in boards:
        panels = list(_panels(board["panels"]))
        assert len({p["id"] for p in panels}) == len(panels), board["uid"]
        for panel in panels:
            grid = panel["gridPos"]
            assert grid["x"] + grid["w"] <= 24 and grid["h"] > 0, (board["uid"], panel["title"])


def test_histograms_are_read_through_their_buckets() -> None:
    """Quantiles come from `histogram_quantile` over `_bucket` rates, summed by `le`."""
    quantiles = [e for p in DASHBOARDS for e in exprs(_load(p)) if "histogram_quantile" in e]
    assert quantiles
    for expr in quantiles:
        assert all(n.endswith("_bucket") for n in metric_names(expr)), expr
        assert re.search(r"by \((?:[\w, ]*\b)?le\b", expr), expr


def test_provisioning_yaml_parses() -> None:
    datasources = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yaml").read_text())
    assert datasources["apiVersion"] == 1
    (source,) = datasources["datasources"]
    assert (source["type"], source["url"], source["access"]) == ("prometheus", "http://127.0.0.1:9090", "proxy")
    providers = yaml.safe_load((GRAFANA / "provisioning/dashboards/vssd.yaml").read_text())
    assert providers["apiVersion"] == 1
    (provider,) = providers["providers"]
    assert provider["type"] == "file"
    assert Path(provider["options"]["path"]).is_absolute()
    assert len(DASHBOARDS) == 3
