"""Hosted invoice links: a link names exactly one invoice of one account and cannot be forged."""

from types import SimpleNamespace

from django.conf import settings

from invoicing.hosted_links import (
    HOSTED_INVOICE_PATH,
    hosted_invoice_read,
    hosted_invoice_token,
    hosted_invoice_url,
)


def test_a_link_reads_back_the_invoice_and_account_it_was_made_for():
    url = hosted_invoice_url(SimpleNamespace(pk=42, account_id=7))
    assert url.startswith(settings.SITE_URL + HOSTED_INVOICE_PATH) and url.endswith("/")
    token = url[len(settings.SITE_URL + HOSTED_INVOICE_PATH):-1]
    ref = hosted_invoice_read(token)
    assert (ref.invoice_id, ref.account_id) == (42, 7)


def test_a_tampered_or_foreign_token_names_nothing():
    token = hosted_invoice_token(invoice_id=42, account_id=7)
    other = hosted_invoice_token(invoice_id=43, account_id=7)
    payload, signature = token.split(":", 1)
    assert hosted_invoice_read(other.split(":", 1)[0] + ":" + signature) is None
    assert hosted_invoice_read(payload + ":" + signature[:-2] + "xx") is None
    assert hosted_invoice_read("") is None
    assert hosted_invoice_read("not-a-token") is None
