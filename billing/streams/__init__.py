"""Event sinks that hand outbox events to a message stream (billing/streams/nats.py)."""
