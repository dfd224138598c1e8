"""Every model change has its migration: a model edited without one would leave databases behind."""

import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db  # makemigrations also checks the applied history
def test_the_models_match_the_migrations():
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit:  # --check exits non-zero when a migration is missing
        raise AssertionError(f"a model change has no migration:\n{out.getvalue()}") from None
