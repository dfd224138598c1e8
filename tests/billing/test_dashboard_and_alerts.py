"""deploy/grafana/billing.json and deploy/prometheus/alerts.yml: every query names only metrics /metrics
exports, the dashboard has the panels and the alerts the operator was promised, and promtool accepts
the rules and their unit tests (deploy/prometheus/alerts_test.yml: each alert fires on the series it
should, and not before)."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import promql_parser
import pytest
import yaml
from django.test import Client
from prometheus_client import REGISTRY

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "billing.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
ALERT_TESTS = ROOT / "deploy" / "prometheus" / "alerts_test.yml"
# Exported by the webhooks app (webhooks/services/deliveries.py), merged beside this one.
WEBHOOK_COUNTER = "billing_webhook_deliveries_total"
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count", "_created"),
            "gauge": ("",), "summary": ("", "_sum", "_count", "_created"), "info": ("_info",)}
GRAFANA_VARIABLES = re.compile(r"\$__(rate_interval|interval|range)")


def exported_names() -> set[str]:
    Client(REMOTE_ADDR="127.0.0.1").get("/metrics")  # django-prometheus registers its metrics on first use
    names = {WEBHOOK_COUNTER}
    for family in REGISTRY.collect():
        names |= {family.name + suffix for suffix in SUFFIXES.get(family.type, ("",))}
        names |= {sample.name for sample in family.samples}
    return names


def metric_names(expression: str) -> set[str]:
    found = set()

    def visit(node):
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            found.add(node.name)

    promql_parser.walk(promql_parser.parse(GRAFANA_VARIABLES.sub("5m", expression)), visit)
    return found


def dashboard_queries() -> list[tuple[str, str]]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [(panel["title"], target["expr"]) for panel in panels for target in panel.get("targets", [])]


def alert_rules() -> list[dict]:
    return [rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]]


def test_the_dashboard_queries_name_only_metrics_we_export():
    exported = exported_names()
    queries = dashboard_queries()
    assert len(queries) > 20
    unknown = {(title, name) for title, expression in queries for name in metric_names(expression) - exported}
    assert not unknown, f"the dashboard asks for metrics /metrics does not export: {sorted(unknown)}"


def test_the_alerts_name_only_metrics_we_export():
    exported = exported_names()
    unknown = {(rule["alert"], name) for rule in alert_rules() for name in metric_names(rule["expr"]) - exported}
    assert not unknown, f"alerts on metrics /metrics does not export: {sorted(unknown)}"


def test_a_query_naming_an_unknown_metric_is_caught():
    assert metric_names('sum(rate(billing_no_such_thing_total{a="b"}[$__rate_interval])) / billing_mrr') == {
        "billing_no_such_thing_total", "billing_mrr"}
    assert "billing_no_such_thing_total" not in exported_names()


def test_the_dashboard_has_the_promised_panels():
    titles = " | ".join(title.lower() for title, _ in dashboard_queries())
    for panel in ("mrr", "subscriptions", "payment success rate", "invoice aging", "usage trends", "ingest rate",
                  "outbox lag", "webhook failures"):
        assert panel in titles, panel


def test_the_promised_alerts_are_there():
    names = {rule["alert"] for rule in alert_rules()}
    assert {"BillingPaymentFailureRateHigh", "BillingCollectionRateLow", "BillingUsageSpikeOnOneAccount",
            "BillingOutboxBacklog", "BillingWebhookBacklog", "BillingReconciliationAlert",
            "BillingBeatJobMissedSchedule", "BillingBillRunSubscriptionFailed"} <= names


def promtool(*args: str) -> subprocess.CompletedProcess:
    tool = shutil.which("promtool")
    assert tool, "promtool is missing: scripts/system_deps.sh installs Debian's prometheus package"
    return subprocess.run([tool, *args], cwd=ALERTS.parent, capture_output=True, text=True, timeout=120)


def test_promtool_accepts_the_rules():
    checked = promtool("check", "rules", str(ALERTS))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(alert_rules())} rules found" in checked.stdout


def test_the_alerts_fire_on_the_series_they_should():
    tested = promtool("test", "rules", str(ALERT_TESTS))
    assert tested.returncode == 0, tested.stdout + tested.stderr
