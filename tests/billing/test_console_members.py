"""The Members page: owners invite by email with a role (an email with a one-time link that expires),
change roles, remove people and withdraw invitations, never leaving an account without an owner; others read
the page but change nothing (403), and nobody reaches another account's people (404)."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from billing import clock, tenancy
from billing.models import AuditEntry, Invitation, Membership
from tests.console_world import PASSWORD, page_text, signed_in, world  # noqa: F401

pytestmark = pytest.mark.django_db


def invite(client, email="new@example.com", role="billing_manager"):
    return client.post("/console/members/", {"email": email, "role": role})


def link_in_last_email() -> str:
    return re.search(r"https?://\S+/console/invitations/\S+/", mail.outbox[-1].body).group(0)


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_an_owner_invites_and_the_new_person_sets_a_password_and_joins(world, django_capture_on_commit_callbacks):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(signed_in(world.owner))
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["new@example.com"]
    assert "Acme Corp" in mail.outbox[-1].subject and "Billing manager" in mail.outbox[-1].body
    link = path_of(link_in_last_email())
    with tenancy.operator_scope():
        invitation = Invitation.objects.get(email="new@example.com")
        assert link.split("/")[-2] not in invitation.token_hash  # only the hash is stored
        assert invitation.expires_at - clock.now() > timedelta(days=6, hours=23)
        assert AuditEntry.objects.filter(action="invitation.created", object_id=str(invitation.pk)).exists()
    visitor = Client()
    page = visitor.get(link)
    assert page.status_code == 200 and "Join Acme Corp" in page_text(page)
    weak = visitor.post(link, {"password1": "a", "password2": "a"})
    assert weak.status_code == 400 and "too short" in page_text(weak)
    joined = visitor.post(link, {"password1": "long-enough-pass-9", "password2": "long-enough-pass-9"})
    assert joined.status_code == 302
    assert "You joined Acme Corp as billing manager." in page_text(visitor.get("/console/", follow=True))
    with tenancy.operator_scope():
        membership = Membership.objects.get(account=world.acme, user__email="new@example.com")
        assert membership.role == "billing_manager"
    again = Client().get(link)
    assert again.status_code == 410 and "already been accepted" in page_text(again)


def test_an_existing_person_signs_in_then_accepts(world, django_capture_on_commit_callbacks):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=True):
        invite(signed_in(world.owner), email="BOB@example.com", role="viewer")
    link = path_of(link_in_last_email())
    anonymous = Client().get(link)
    assert "Sign in to accept" in page_text(anonymous)
    someone_else = signed_in(world.viewer).get(link)
    assert "You are signed in as victor@example.com" in page_text(someone_else)
    assert signed_in(world.viewer).post(link).status_code == 200  # not accepted for the wrong person
    bob = signed_in(world.outsider)
    assert bob.post(link).status_code == 302
    with tenancy.operator_scope():
        assert Membership.objects.get(account=world.acme, user=world.outsider).role == "viewer"
        assert Membership.objects.get(account=world.globex, user=world.outsider).role == "owner"


def test_an_expired_or_withdrawn_invitation_says_so(world, django_capture_on_commit_callbacks):  # noqa: F811
    owner = signed_in(world.owner)
    with django_capture_on_commit_callbacks(execute=True):
        invite(owner, email="late@example.com")
    link = path_of(link_in_last_email())
    with tenancy.operator_scope():
        Invitation.objects.filter(email="late@example.com").update(expires_at=clock.now() - timedelta(seconds=1))
    response = Client().get(link)
    assert response.status_code == 410 and "has expired" in page_text(response)
    with django_capture_on_commit_callbacks(execute=True):
        invite(owner, email="late@example.com")  # inviting again gives a fresh link
    link = path_of(link_in_last_email())
    with tenancy.operator_scope():
        pending = Invitation.objects.get(email="late@example.com", revoked_at__isnull=True, accepted_at__isnull=True)
    assert owner.post(f"/console/members/invitations/{pending.pk}/revoke/").status_code == 302
    response = Client().get(link)
    assert response.status_code == 410 and "withdrawn" in page_text(response)
    assert Client().get("/console/invitations/not-a-token/").status_code == 404


def test_inviting_a_member_or_a_bad_address_names_the_field(world):  # noqa: F811
    owner = signed_in(world.owner)
    response = invite(owner, email="victor@example.com")
    assert response.status_code == 400 and "already a member" in page_text(response)
    assert invite(owner, email="not-an-address").status_code == 400
    assert invite(owner, role="god").status_code == 400


def test_an_owner_changes_a_role_and_removes_a_member(world):  # noqa: F811
    owner = signed_in(world.owner)
    with tenancy.operator_scope():
        viewer = Membership.objects.get(account=world.acme, user=world.viewer)
    assert owner.post(f"/console/members/{viewer.pk}/role/", {"role": "billing_manager"}).status_code == 302
    with tenancy.operator_scope():
        viewer.refresh_from_db()
        assert viewer.role == "billing_manager"
    assert owner.post(f"/console/members/{viewer.pk}/remove/").status_code == 302
    with tenancy.operator_scope():
        assert not Membership.objects.filter(pk=viewer.pk).exists()
        assert AuditEntry.objects.filter(action="membership.removed", object_id=str(viewer.pk)).exists()


def test_the_last_owner_is_never_demoted_nor_removed(world):  # noqa: F811
    owner = signed_in(world.owner)
    with tenancy.operator_scope():
        mine = Membership.objects.get(account=world.acme, user=world.owner)
    owner.post(f"/console/members/{mine.pk}/role/", {"role": "viewer"})
    text = page_text(owner.post(f"/console/members/{mine.pk}/remove/", follow=True))
    assert "keeps at least one owner" in text
    with tenancy.operator_scope():
        mine.refresh_from_db()
        assert mine.role == "owner"


@pytest.mark.parametrize("role", ["billing_manager", "viewer"])
def test_others_read_the_page_but_change_nothing(world, role):  # noqa: F811
    client = signed_in(world.user(role))
    page = client.get("/console/members/")
    assert page.status_code == 200 and "alice@example.com" in page_text(page)
    assert "Send invitation" not in page_text(page)
    assert 'href="/console/members/"' not in client.get("/console/").content.decode()  # not in the nav
    with tenancy.operator_scope():
        target = Membership.objects.get(account=world.acme, user=world.viewer)
    assert invite(client).status_code == 403
    assert client.post(f"/console/members/{target.pk}/role/", {"role": "owner"}).status_code == 403
    assert client.post(f"/console/members/{target.pk}/remove/").status_code == 403


def test_another_accounts_members_are_404(world):  # noqa: F811
    with tenancy.operator_scope():
        theirs = Membership.objects.get(account=world.globex, user=world.outsider)
    owner = signed_in(world.owner)
    assert owner.post(f"/console/members/{theirs.pk}/role/", {"role": "viewer"}).status_code == 404
    assert owner.post(f"/console/members/{theirs.pk}/remove/").status_code == 404
    assert "bob@example.com" not in page_text(owner.get("/console/members/"))
    assert get_user_model().objects.filter(username="bob").exists()


def test_a_person_in_two_accounts_switches_between_them(world):  # noqa: F811
    from billing.services import membership_add

    with tenancy.operator_scope():
        membership_add(account=world.globex, user=world.owner, role="viewer")
    client = Client()
    assert client.login(username="alice", password=PASSWORD)
    assert client.post("/console/accounts/switch/", {"account_id": world.globex.pk}).status_code == 302
    assert "Globex Inc" in page_text(client.get("/console/"))
