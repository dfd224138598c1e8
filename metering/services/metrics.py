"""Billable metrics: created and changed through here (admin, catalog loaders), validated and audited."""

from __future__ import annotations

import re

from django.db import transaction

from billing.audit import audit_record, snapshot
from billing.errors import ValidationFailed
from metering.models import Aggregation, BillableMetric

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
EDITABLE = ("name", "description", "unit", "filters", "group_by", "is_active")


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
            not _NAME.match(str(k)) or not isinstance(v, list | str | int | bool) for k, v in filters.items()):
        errors["filters"] = 'An object of property -> allowed values, e.g. {"region": ["eu", "uk"]}.'
    group_by = fields.get("group_by") or []
    if not isinstance(group_by, list) or any(not isinstance(g, str) or not _NAME.match(g) for g in group_by):
        errors["group_by"] = 'A list of property names, e.g. ["model", "region"].'
    elif len(group_by) != len(set(group_by)) or len(group_by) > 5:
        errors["group_by"] = "At most 5 distinct properties."
    if errors:
        raise ValidationFailed(errors)
    return {**fields, "field_name": field_name, "filters": filters, "group_by": group_by}


@transaction.atomic
def billable_metric_create(*, code: str, name: str, aggregation: str = Aggregation.COUNT, **fields) -> BillableMetric:
    if not code or not re.match(r"^[-a-zA-Z0-9_]{1,64}$", code):
        raise ValidationFailed({"code": "Letters, digits, - and _ only (at most 64)."})
    if BillableMetric.objects.filter(code=code).exists():
        raise ValidationFailed({"code": "A metric with this code exists."})
    if not (name or "").strip():
        raise ValidationFailed({"name": "This field is required."})
    cleaned = metric_fields_clean({"aggregation": aggregation, **fields})
    metric = BillableMetric.objects.create(code=code, name=name.strip(), **cleaned)
    audit_record(action="billable_metric.created", instance=metric, after=snapshot(metric))
    return metric


@transaction.atomic
def billable_metric_update(*, metric: BillableMetric, **fields) -> BillableMetric:
    """Change what describes a metric; code, aggregation and field_name are fixed once created."""
    fixed = {"code", "aggregation", "field_name"} & {k for k, v in fields.items()
                                                      if getattr(metric, k) != v}
    if fixed:
        raise ValidationFailed({name: "Cannot change once created; make a new metric." for name in fixed})
    metric = BillableMetric.objects.select_for_update().get(pk=metric.pk)
    before = snapshot(metric)
    cleaned = metric_fields_clean({"aggregation": metric.aggregation, "field_name": metric.field_name,
                      **{k: v for k, v in fields.items() if k in EDITABLE}})
    for name in EDITABLE:
        if name in fields:
            setattr(metric, name, cleaned.get(name, fields[name]))
    metric.save()
    audit_record(action="billable_metric.updated", instance=metric, before=before, after=snapshot(metric))
    return metric
