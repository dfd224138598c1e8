"""Demo data for `make run`: an operator, a finance user, two customer accounts with a user each.

Safe to run again: existing users and accounts are kept as they are.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from billing import tenancy
from billing.models import Account, MembershipRole
from billing.roles import FINANCE_ADMIN
from billing.services import account_create, membership_add

DEMO_USERS = [
    # username, password, role, description
    ("admin", "admin", "superuser", "operator superuser (admin)"),
    ("finance", "finance", FINANCE_ADMIN, "finance staff (admin)"),
    ("alice", "alice", "Acme Corp", "owner of Acme Corp (console)"),
    ("bob", "bob", "Globex Inc", "owner of Globex Inc (console)"),
]


class Command(BaseCommand):
    help = "Load demo users and accounts (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        User = get_user_model()
        with tenancy.operator_scope():
            for username, password, role, _ in DEMO_USERS:
                user, created = User.objects.get_or_create(
                    username=username, defaults={"email": f"{username}@example.com"}
                )
                if created:
                    user.set_password(password)
                if role == "superuser":
                    user.is_staff = user.is_superuser = True
                elif role == FINANCE_ADMIN:
                    user.is_staff = True
                    user.save()
                    user.groups.add(Group.objects.get(name=FINANCE_ADMIN))
                else:
                    account = Account.objects.filter(name=role).first() or account_create(
                        name=role, external_id=role.lower().replace(" ", "-")
                    )
                    membership_add(account=account, user=user, role=MembershipRole.OWNER)
                user.save()
            self._load_more()
        self.stdout.write(self.style.SUCCESS("demo data loaded"))

    def _load_more(self):
        """Later apps add their demo data here (catalog, subscriptions, usage)."""
