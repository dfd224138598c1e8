import pytest

from billing import tenancy
from metering.models import BillableMetric


@pytest.fixture
def make_metric(db):
    def make(code, aggregation="count", **kwargs):
        with tenancy.operator_scope():
            return BillableMetric.objects.create(code=code, name=kwargs.pop("name", code), aggregation=aggregation,
                                                 **kwargs)

    return make


@pytest.fixture
def usage_client(api_client, api_key_for, make_account):
    """(client with a usage:write+read key for a fresh account, that account)."""
    account = make_account()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(account, ['usage:write', 'usage:read'])}")
    return api_client, account
