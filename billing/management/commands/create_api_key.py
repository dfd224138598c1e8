"""Mint an API key from the server's shell: `manage.py create_api_key --name NAME [--scopes ...] [--account ID]`.

The way to the first operator key of a new deployment. The key goes to stdout alone
(`KEY=$(manage.py create_api_key --name ops)`), what it is to stderr; it is never shown again.
"""

from django.core.management.base import BaseCommand, CommandError

from billing import tenancy
from billing.context import Actor, acting_as
from billing.errors import BillingError
from billing.models import Account, ApiScope
from billing.services import api_key_create

# Everything but `admin`: an admin key (which also mints keys) is asked for by name.
DEFAULT_SCOPES = [ApiScope.USAGE_WRITE, ApiScope.USAGE_READ, ApiScope.BILLING_READ, ApiScope.BILLING_WRITE]


class Command(BaseCommand):
    help = "Mint an API key (an operator key unless --account is given) and print it once."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="What the key is for, e.g. 'provisioning service'.")
        parser.add_argument("--scopes", nargs="+", choices=ApiScope.values, metavar="SCOPE",
                            help=f"One or more of {', '.join(ApiScope.values)} "
                                 f"(default: {' '.join(DEFAULT_SCOPES)}).")
        parser.add_argument("--account", type=int, metavar="ID",
                            help="Mint an account key for this account id (default: an operator key).")

    def handle(self, *args, name, scopes, account, **options):
        scopes = scopes or [str(scope) for scope in DEFAULT_SCOPES]
        with tenancy.operator_scope(), acting_as(Actor(type="system", id="create_api_key", label="create_api_key")):
            owner = None
            if account is not None:
                owner = Account.objects.filter(pk=account).first()
                if owner is None:
                    raise CommandError(f"No account with id {account}.")
            try:
                issued = api_key_create(name=name, scopes=scopes, account=owner)
            except BillingError as exc:
                detail = "; ".join(f"{field}: {' '.join(reasons)}" for field, reasons in exc.fields.items())
                raise CommandError(f"{exc.message} {detail}".strip()) from None
        kind = f"account key for {owner.name} (id {owner.pk})" if owner else "operator key"
        self.stderr.write(f"Minted {kind} '{issued.api_key.name}' ({issued.api_key.prefix}…) with scopes "
                          f"{', '.join(issued.api_key.scopes)}. Copy it now; it will not be shown again:")
        self.stdout.write(issued.secret)
