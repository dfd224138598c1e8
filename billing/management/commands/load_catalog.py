"""Load a catalog file: `manage.py load_catalog examples/catalogs/002_ai_platform.yaml` (YAML or JSON).

Creates the metrics, products and plans it declares; run it again after editing the
file and changed plans get a pricing change (a new version when they have subscribers).
"""

from django.core.management.base import BaseCommand, CommandError

from billing import tenancy
from billing.context import Actor, acting_as
from billing.errors import ValidationFailed
from billing.services.catalog_loader import catalog_load, read_catalog_file


class Command(BaseCommand):
    help = "Load plans, prices, limits and metrics from a YAML or JSON catalog file."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, file, **options):
        try:
            data = read_catalog_file(file)
        except FileNotFoundError:
            raise CommandError(f"No such file: {file}") from None
        except ValidationFailed as exc:
            raise CommandError(f"{file}: {exc.fields}") from None
        try:
            with tenancy.operator_scope(), acting_as(Actor(type="system", id="load_catalog", label="load_catalog")):
                report = catalog_load(data=data)
        except ValidationFailed as exc:
            raise CommandError(f"{exc.message} {exc.fields}") from None
        for label, names in (("metrics created", report.metrics_created),
                             ("products created", report.products_created),
                             ("plans created", report.plans_created), ("plans updated", report.plans_updated),
                             ("plans unchanged", report.plans_unchanged)):
            if names:
                self.stdout.write(f"{label}: {', '.join(names)}")
        self.stdout.write(self.style.SUCCESS(f"catalog loaded from {file}"))
