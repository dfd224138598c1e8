"""Every status of a model with a transition table is written by billing/transitions.py alone.

A static check of the application code: an assignment to a `status` or `outcome` attribute (or
`setattr`), `status=`/`outcome=` given to a queryset's update or create or to such a model's
constructor, or `status`/`outcome` among the fields an `update_fields`, `bulk_update` or `rows_update`
writes. A new row may start in a state its table's `start()` accepts. What remains are the models that
have a status but no transition table (yet), listed here by where they are written.
"""

import ast
from pathlib import Path

from django.apps import apps

from billing.transitions import table_for, tables

ROOT = Path(__file__).resolve().parents[2]
APPS = ("billing", "invoicing", "metering", "payments", "pricing", "webhooks", "console", "config")
KERNEL = "billing/transitions.py"
STATE_FIELDS = {"status", "outcome"}
WRITERS = {"update", "create", "get_or_create", "update_or_create"}
BULK_WRITERS = {"bulk_update", "rows_update", "rows_copy_update"}
# (file, what is written) -> the model it is, which has no transition table.
OTHER_MODELS = {
    ("billing/api/idempotency.py", "self"): "an HTTP status (idempotency.Replay)",
    ("billing/job_runs.py", "JobRun.objects"): "billing.JobRun",  # a periodic job's last run, as Celery reported it
    ("billing/outbox.py", "event"): "billing.OutboxEvent",
    ("billing/services/catalog.py", "ScheduledChange"): "billing.ScheduledChange",
    ("billing/services/customers.py", "discount"): "billing.SubscriptionDiscount",
    ("billing/services/customers.py", "SubscriptionDiscount"): "billing.SubscriptionDiscount",
    ("billing/services/lifecycle.py", "change"): "billing.ScheduledChange",
    ("billing/services/subscriptions.py", "ScheduledChange"): "billing.ScheduledChange",
    ("billing/services/subscriptions.py", "pending"): "billing.ScheduledChange",
    ("billing/services/subscriptions.py", "discount"): "billing.SubscriptionDiscount",
    ("invoicing/services/bill_runs.py", "BillRun"): "invoicing.BillRun",
    ("invoicing/services/bill_runs.py", "run"): "invoicing.BillRun",
    ("payments/gateways/sandbox.py", "setup"): "the sandbox gateway's own record of a SetupIntent (a dict)",
    ("payments/services/methods.py", "setup"): "payments.PaymentSetup",
    ("payments/services/reconciliation.py", "run"): "payments.ReconciliationRun",
    ("payments/services/reconciliation.py", "ReconciliationRun"): "payments.ReconciliationRun",
    ("payments/services/webhooks.py", "event"): "payments.WebhookEvent",
    ("webhooks/services/deliveries.py", "delivery"): "webhooks.WebhookDelivery",
    ("webhooks/services/deliveries.py", "WebhookDelivery"): "webhooks.WebhookDelivery",
    ("webhooks/services/endpoints.py", "WebhookDelivery"): "webhooks.WebhookDelivery",
}


def _root(node) -> str:
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return ast.unparse(node)


def _started(value) -> bool:
    """`TABLE.start(state)`: a new row's first state, checked by its table."""
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "start"


def _names(node, lists: dict) -> set:
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return {e.value for e in node.elts if isinstance(e, ast.Constant)}
    return lists.get(node.id, set()) if isinstance(node, ast.Name) else set()


def _writes(tree, constructors: set):
    """(line, what is written, field) for every state write in a module."""
    lists = {t.id: _names(n.value, {}) for n in tree.body if isinstance(n, ast.Assign)
             and isinstance(n.value, ast.List | ast.Tuple) for t in n.targets if isinstance(t, ast.Name)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                many = isinstance(target, ast.Tuple | ast.List)
                values = (node.value.elts if many and isinstance(node.value, ast.Tuple)
                          else [node.value] * (len(target.elts) if many else 1))
                for element, value in zip(target.elts if many else [target], values, strict=True):
                    if isinstance(element, ast.Attribute) and element.attr in STATE_FIELDS and not _started(value):
                        yield node.lineno, ast.unparse(element.value), element.attr
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in WRITERS or name in constructors:
                for keyword in node.keywords:
                    if keyword.arg in STATE_FIELDS and not _started(keyword.value):
                        yield node.lineno, _root(func.value) if isinstance(func, ast.Attribute) else name, keyword.arg
            if (name == "setattr" and len(node.args) == 3 and isinstance(node.args[1], ast.Constant)
                    and node.args[1].value in STATE_FIELDS):
                yield node.lineno, ast.unparse(node.args[0]), node.args[1].value
            for keyword in node.keywords:
                if keyword.arg == "update_fields":
                    for field in _names(keyword.value, lists) & STATE_FIELDS:
                        yield node.lineno, ast.unparse(getattr(func, "value", func)), field
            if name in BULK_WRITERS:
                for argument in [*node.args, *(k.value for k in node.keywords)]:
                    for field in _names(argument, lists) & STATE_FIELDS:
                        yield node.lineno, _root(node.args[0]) if node.args else name, field


def test_only_the_transition_module_writes_a_status_that_has_a_table():
    constructors = {table.model.__name__ for table in tables()}
    assert constructors >= {"Subscription", "Invoice", "Payment", "Refund", "Dispute", "DunningCase"}
    stray = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            where = path.relative_to(ROOT).as_posix()
            if "/migrations/" in where or where == KERNEL:
                continue
            for line, written, field in _writes(ast.parse(path.read_text()), constructors):
                if (where, written) not in OTHER_MODELS:
                    stray.append(f"{where}:{line}: {written}.{field}")
    assert stray == [], "status written outside billing.transitions.transition():\n" + "\n".join(stray)


def test_the_models_left_out_have_no_transition_table():
    for label in set(OTHER_MODELS.values()):
        if label.count(".") == 1 and " " not in label:
            assert table_for(apps.get_model(label)) is None, f"{label} has a table: its writes must go through it"
