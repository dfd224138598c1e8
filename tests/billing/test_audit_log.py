"""The audit trail is append-only in the database itself."""

import psycopg
import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.utils import DatabaseError

from billing import tenancy
from billing.context import Actor, acting_as
from billing.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_services_record_actor_action_and_before_after(make_account):
    with acting_as(Actor(type="user", id="7", label="finance", ip_address="10.0.0.1")):
        account = make_account("Acme")
    with tenancy.operator_scope():
        entry = AuditEntry.objects.get(action="account.created", object_id=str(account.pk))
    assert (entry.actor_type, entry.actor_label, entry.ip_address) == ("user", "finance", "10.0.0.1")
    assert entry.after["name"] == "Acme" and entry.before is None
    assert entry.account_id == account.pk


@pytest.mark.parametrize("statement", ["UPDATE billing_auditentry SET action = 'x'", "DELETE FROM billing_auditentry"])
def test_the_application_role_cannot_update_or_delete(make_account, statement):
    make_account("Acme")
    with tenancy.operator_scope(), pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
        c.execute(statement)


@pytest.mark.parametrize("statement", ["UPDATE billing_auditentry SET action = 'x'", "DELETE FROM billing_auditentry"])
def test_even_the_table_owner_is_refused_by_the_trigger(statement):
    owner = settings.DATABASES["owner"]
    with psycopg.connect(host=owner["HOST"], port=owner["PORT"], user=owner["USER"], password=owner["PASSWORD"],
                         dbname=connection.settings_dict["NAME"]) as raw:
        raw.execute("SELECT billing_scope_enter(%s, true, NULL)", [settings.RLS_SCOPE_SECRET])
        raw.execute("INSERT INTO billing_auditentry (actor_type, actor_id, actor_label, action, object_type, "
                    "object_id, request_id, created_at) VALUES ('system', '', '', 't', 't', '1', '', now())")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            raw.execute(statement)
        raw.rollback()


@pytest.mark.django_db(transaction=True)
def test_audit_record_refuses_to_run_outside_a_transaction():
    from billing.audit import audit_record

    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit_record(action="x", object_type="t", object_id=1)
