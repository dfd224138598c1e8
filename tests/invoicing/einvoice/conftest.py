import pytest

from tests.invoicing.einvoice.cases import OPERATOR_VAT_ID


@pytest.fixture(autouse=True)
def seller(settings, tmp_path):
    """A French operator with its VAT number; PDFs stored in a temporary media root."""
    settings.MEDIA_ROOT = str(tmp_path)
    settings.OPERATOR_COUNTRY = "FR"
    settings.OPERATOR_NAME = "Example SaaS SAS"
    settings.OPERATOR_ADDRESS = "1 Example Street, 75001 Paris"
    settings.OPERATOR_TAX_ID = OPERATOR_VAT_ID
    return settings
