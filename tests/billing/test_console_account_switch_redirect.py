"""Switching accounts goes back to a page of this site only: `next` is never an open redirect."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from billing import tenancy
from billing.services import membership_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_of_two_accounts(make_account):
    acme, globex = make_account("Acme"), make_account("Globex")
    user = get_user_model().objects.create_user("bob", "bob@example.com", "s3cret-pass")
    with tenancy.operator_scope():
        membership_add(account=acme, user=user, role="owner")
        membership_add(account=globex, user=user, role="viewer")
    client = Client()
    client.force_login(user)
    return client, globex


@pytest.mark.parametrize("target", ["https://evil.example/phish", "//evil.example/", "/\\evil.example"])
def test_a_next_on_another_site_is_ignored(client_of_two_accounts, target):
    client, globex = client_of_two_accounts
    response = client.post("/console/accounts/switch/", {"account_id": globex.pk, "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/console/"


def test_a_next_on_this_site_is_followed(client_of_two_accounts):
    client, globex = client_of_two_accounts
    response = client.post("/console/accounts/switch/", {"account_id": globex.pk, "next": "/console/api-keys/"})
    assert response.status_code == 302
    assert response["Location"] == "/console/api-keys/"
