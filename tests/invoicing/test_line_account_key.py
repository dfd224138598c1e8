"""An invoice line's one foreign key (invoice_id, account_id) -> invoice (id, account_id):
it keeps what the two single keys it replaced checked, and a line cannot name another account."""

import pytest
from django.db import IntegrityError, connection, transaction

from invoicing.models import InvoiceLine
from tests.invoicing.factories import draft

pytestmark = pytest.mark.django_db


def check_now():
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def copy_of(line, **changes):
    fields = {f.attname: getattr(line, f.attname) for f in InvoiceLine._meta.concrete_fields if f.attname != "id"}
    return InvoiceLine(**{**fields, **changes})


def test_a_line_of_another_account_than_its_invoice_is_refused(make_account, operator):
    invoice, other = draft(make_account("Acme")), make_account("Globex")
    with pytest.raises(IntegrityError), transaction.atomic():
        copy_of(invoice.lines.get(), account_id=other.pk).save()
        check_now()


def test_a_line_of_a_missing_invoice_is_refused(make_account, operator):
    invoice = draft(make_account("Acme"))
    with pytest.raises(IntegrityError), transaction.atomic():
        copy_of(invoice.lines.get(), invoice_id=invoice.pk + 1_000_000).save()
        check_now()


def test_a_line_of_its_invoice_s_account_is_kept(make_account, operator):
    invoice = draft(make_account("Acme"))
    copy_of(invoice.lines.get(), position=1).save()
    check_now()
    assert invoice.lines.count() == 2
