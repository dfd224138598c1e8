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
