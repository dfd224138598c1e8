"""Billable metrics: created, changed and archived through here (admin, API, catalog loaders), validated
and audited. A metric is never deleted: usage, rollups, plans and invoices keep pointing at it."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction

from billing import tenancy
from billing.audit import audit_record, snapshot
from billing.errors import Conflict, ValidationFailed
from billing.models import Aggregation, BillableMetric
from billing.transitions import row_lock
from billing.units import unit_code_for, unit_code_problem
from metering.selectors.metrics import metric_archive_blockers, metric_has_usage, metric_plan_codes

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_CODE = re.compile(r"^[-a-zA-Z0-9_]{1,64}$")
EDITABLE = ("name", "description", "unit", "unit_code", "aggregation", "field_name", "filters", "group_by", "is_active")
# What a metric measures: fixed once it has usage or a plan uses it, since a change would re-rate both.
MEASURE = ("aggregation", "field_name")
MAX_LENGTHS = {"name": 200, "unit": 32, "description": 2000}


def metric_fields_clean(fields: dict) -> dict:
    """Validated metric fields (raises ValidationFailed naming each bad field)."""
    errors = {}
    aggregation = fields.get("aggregation", Aggregation.COUNT)
    if aggregation not in Aggregation.values:
        errors["aggregation"] = f"Must be one of {', '.join(Aggregation.values)}."
    field_name = fields.get("field_name") or ""
    if field_name and not _NAME.match(field_name):
        errors["field_name"] = "Letters, digits, _ . - only."
    filters = fields.get("filters") or {}
    if not isinstance(filters, dict) or any(
            not _NAME.match(str(k)) or not _filter_values_plain(v) for k, v in filters.items()):
        errors["filters"] = 'An object of property -> allowed values, e.g. {"region": ["eu", "uk"]}.'
    group_by = fields.get("group_by") or []
    if not isinstance(group_by, list) or any(not isinstance(g, str) or not _NAME.match(g) for g in group_by):
        errors["group_by"] = 'A list of property names, e.g. ["model", "region"].'
    elif len(group_by) != len(set(group_by)) or len(group_by) > 5:
        errors["group_by"] = "At most 5 distinct properties."
    for name, limit in MAX_LENGTHS.items():
        if name in fields and not isinstance(fields[name], str):
            errors[name] = "Must be text."
        elif len(fields.get(name) or "") > limit:
            errors[name] = f"At most {limit} characters."
    if "unit_code" in fields and unit_code_problem(fields["unit_code"]):
        errors["unit_code"] = unit_code_problem(fields["unit_code"])
    if "name" in fields and isinstance(fields["name"], str) and not fields["name"].strip():
        errors["name"] = "This field is required."
    if errors:
        raise ValidationFailed(errors)
    cleaned = {**fields, "field_name": field_name, "filters": filters, "group_by": group_by}
    if "name" in cleaned:
        cleaned["name"] = cleaned["name"].strip()
    return cleaned


def _filter_values_plain(value) -> bool:
    """A filter allows a text, number or boolean, or a list of them (compared as text)."""
    plain = (str, int, bool)
    return isinstance(value, plain) or (isinstance(value, list) and all(isinstance(v, plain) for v in value))


def _require_operator_scope() -> None:
    # Plans and subscriptions are read to decide; in an account's scope most would be invisible.
    if not tenancy.current().operator:
        raise RuntimeError("billable metric writes run in the operator scope")


@transaction.atomic
def billable_metric_create(*, code: str, name: str, aggregation: str = Aggregation.COUNT, **fields) -> BillableMetric:
    if not isinstance(code, str) or not _CODE.match(code):
        raise ValidationFailed({"code": "Letters, digits, - and _ only (at most 64)."})
    if BillableMetric.objects.filter(code=code).exists():
        raise ValidationFailed({"code": "A metric with this code exists."})
    fields = {k: v for k, v in fields.items() if k in EDITABLE}
    if not fields.get("unit_code"):  # suggested from the unit's name: GB -> E34, hour -> HUR, else C62
        fields["unit_code"] = unit_code_for(fields.get("unit") if isinstance(fields.get("unit"), str) else "")
    cleaned = metric_fields_clean({"name": name or "", "aggregation": aggregation, **fields})
    try:
        with transaction.atomic():  # a concurrent create of the same code loses here, not with a 500
            metric = BillableMetric.objects.create(code=code, **cleaned)
    except IntegrityError:
        raise ValidationFailed({"code": "A metric with this code exists."}) from None
    audit_record(action="billable_metric.created", instance=metric, after=snapshot(metric))
    return metric


@transaction.atomic
def billable_metric_update(*, metric: BillableMetric, **fields) -> BillableMetric:
    """Change a metric. The code never changes; aggregation and field_name only while the metric has
    no usage and no plan uses it (409 otherwise); `is_active=False` archives (`billable_metric_archive`)."""
    _require_operator_scope()
    metric = row_lock(BillableMetric, metric)
    if "code" in fields and fields["code"] != metric.code:
        raise ValidationFailed({"code": "A metric's code never changes; make a new metric."})
    changes = {k: v for k, v in fields.items() if k in EDITABLE and getattr(metric, k) != v}
    cleaned = metric_fields_clean({"aggregation": metric.aggregation, "field_name": metric.field_name, **changes})
    measure = [name for name in MEASURE if name in changes]
    if measure:
        plans = metric_plan_codes(metric)
        if plans or metric_has_usage(metric):
            why = f"plans {', '.join(plans)} use it" if plans else "usage was recorded for it"
            raise Conflict(f"What metric {metric.code} measures is fixed: {why}. Make a new metric instead.",
                           fields={name: ["Fixed once the metric has usage or a plan uses it."] for name in measure})
    if changes.get("is_active") is False:
        _refuse_archiving_in_use(metric)
    if not changes:
        return metric
    before = snapshot(metric)
    for name in changes:
        setattr(metric, name, cleaned[name])
    metric.save()
    audit_record(action="billable_metric.archived" if changes.get("is_active") is False
                 else "billable_metric.updated", instance=metric, before=before, after=snapshot(metric))
    return metric


def _refuse_archiving_in_use(metric: BillableMetric) -> None:
    plans = metric_archive_blockers(metric)
    if plans:
        raise Conflict(f"Metric {metric.code} is still used by plan(s) {', '.join(plans)}: archive those plans "
                       "(or move their subscribers) and take the metric out of their pricing first.",
                       fields={"is_active": [f"Still used by plan(s) {', '.join(plans)}."]})


@transaction.atomic
def billable_metric_archive(*, metric: BillableMetric) -> BillableMetric:
    """Archive a metric (`is_active=False`: usage events naming it are refused from then on). Refused
    (409, naming the plans) while an active plan's pricing or a live subscription still needs it."""
    return billable_metric_update(metric=metric, is_active=False)
