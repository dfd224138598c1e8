import pytest

from billing import tenancy
from billing.models import BillableMetric


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


@pytest.fixture(autouse=True)
def _fresh_writer_memory():
    """Which accounts resent keys lately is remembered per process; each test starts without it."""
    from metering.ingest import writer

    writer._resending.clear()
    yield
    writer._resending.clear()


@pytest.fixture
def record_moves(monkeypatch):
    """The list of statements the writer's attempts use, in order (writer.MOVE_ALL, ...)."""
    from metering.ingest import writer

    moves = []
    write_rows = writer.write_rows
    monkeypatch.setattr(writer, "write_rows",
                        lambda rows, move, **kw: moves.append(move) or write_rows(rows, move=move, **kw))
    return moves


@pytest.fixture(autouse=True)
def _fresh_limits_cache():
    """Plan limits, metrics and named accounts are cached per process; each test starts without them."""
    from metering.api.common import forget_accounts
    from metering.quotas import limits
    from metering.services.quotas import forget_metrics

    limits.forget()
    forget_metrics()
    forget_accounts()
    yield
    limits.forget()
    forget_metrics()
    forget_accounts()


@pytest.fixture
def redis_down():
    """Point the quota counters at a port where nothing listens (a real connection failure)."""
    import redis

    from billing import redis_client

    redis_client._client = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.05, socket_timeout=0.05)
    yield
    redis_client.reset_client()


@pytest.fixture
def subscribe(make_account):
    """subscribe(limits=[...], charges=[...]) -> account on a fresh plan, subscribed now (operator scope)."""
    from billing.services import subscription_create
    from tests.billing.catalog_factories import plan

    counter = iter(range(1, 1000))

    def make(limits=(), charges=(), account=None, **plan_attrs):
        account = account or make_account()
        with tenancy.operator_scope():
            chosen = plan(code=f"plan-{next(counter)}-{account.pk}", flat=0, charges=list(charges),
                          limits=list(limits), **plan_attrs)
            subscription_create(account=account, plan=chosen)
        return account

    return make


