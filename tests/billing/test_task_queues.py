"""Each kind of work has its own queue, and a worker started without `-Q` (as `make run` starts it)
consumes every one of them: no task is routed to a queue nobody reads."""

from config.celery import app


def routed_queue(name: str) -> str:
    return app.amqp.router.route({}, name)["queue"].name


def test_each_kind_of_work_goes_to_its_queue():
    assert routed_queue("invoicing.bill_run_chunk") == "billing-runs"
    assert routed_queue("payments.dunning_retry_due") == "payments"
    assert routed_queue("billing.outbox_deliver") == "events"
    assert routed_queue("webhooks.deliver") == "events"
    assert routed_queue("metering.usage_rollups_advance") == "metering"
    assert routed_queue("billing.heartbeat") == "celery"


def test_every_registered_task_goes_to_a_queue_a_default_worker_consumes():
    app.loader.import_default_modules()
    consumed = {queue.name for queue in app.conf.task_queues}
    ours = [name for name in app.tasks if not name.startswith("celery.")]
    assert len(ours) > 20
    assert {name: routed_queue(name) for name in ours if routed_queue(name) not in consumed} == {}
