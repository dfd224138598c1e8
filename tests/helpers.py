"""Small helpers shared by tests of several apps."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client


def staff(username: str, group: str) -> Client:
    """A signed-in admin client for a staff user in one finance group."""
    user = get_user_model().objects.create_user(username, password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(user)
    return client


def settings_check(app_label: str) -> dict[str, str]:
    """What the start-up check of the apps' settings (tag `settings`) says about one app: {id: message}."""
    from django.core.checks import run_checks

    return {message.id: message.msg for message in run_checks(tags=["settings"])
            if message.id.startswith(f"{app_label}.")}


def moves_checked(table, row, expected: dict) -> int:
    """The transition table of `row`'s model is `expected` ({from: {to, ...}}), and `transition()` holds
    it for every pair of states: `row` is put in each state (a plain UPDATE, as test setup), then moved
    to each state; an allowed move writes the state and one audit entry (before and after naming the
    two states), any other raises TransitionRefused (409, `invalid_state_transition`, both states in its
    message) and writes nothing. Returns how many pairs were tried."""
    import pytest
    from django.db import transaction

    from billing.models import AuditEntry
    from billing.transitions import TransitionRefused, transition

    assert {state: set(targets) for state, targets in table.moves.items()} == \
        {str(state): {str(t) for t in targets} for state, targets in expected.items()}
    model, field = table.model, table.field
    entries = AuditEntry.objects.filter(object_type=model._meta.label_lower, object_id=str(row.pk))
    tried = 0
    for from_state in table.states:
        for to_state in table.states:
            model.objects.filter(pk=row.pk).update(**{field: from_state})
            written = entries.count()
            if to_state in expected[from_state]:
                with transaction.atomic():
                    transition(row.pk, to_state, table=table)
                assert getattr(model.objects.get(pk=row.pk), field) == to_state
                assert entries.count() == written + 1
                entry = entries.order_by("-id").first()
                assert (entry.before[field], entry.after[field]) == (from_state, to_state)
            else:
                with pytest.raises(TransitionRefused) as refused, transaction.atomic():
                    transition(row.pk, to_state, table=table)
                error = refused.value
                assert (error.status, error.code) == (409, "invalid_state_transition")
                assert (error.from_state, error.to_state) == (from_state, to_state)
                assert from_state in error.message and to_state in error.message
                assert error.fields == {field: [from_state]}
                assert getattr(model.objects.get(pk=row.pk), field) == from_state
                assert entries.count() == written
            tried += 1
    return tried


def metrics_scraped() -> dict[tuple, float]:
    """What /metrics serves a local scraper: {(sample name, ((label, value), ...)): value}. The view is
    called directly, not through the test client, whose request signals would close a connection that
    a test keeping its transaction across requests (`keep_test_transaction`) needs."""
    from django.test import RequestFactory
    from prometheus_client.parser import text_string_to_metric_families

    from billing.health import metrics

    body = metrics(RequestFactory().get("/metrics", REMOTE_ADDR="127.0.0.1")).content.decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(body) for sample in family.samples}


def metric_value(scraped: dict, name: str, **labels) -> float:
    """One sample of `metrics_scraped()`; 0 when /metrics has no such series yet."""
    return scraped.get((name, tuple(sorted((key, str(value)) for key, value in labels.items()))), 0.0)
