"""One attempt: no redirect is followed, an answer that takes too long is no answer, TLS is asked of an
https endpoint, and the excerpt kept is the start of the answer."""

from webhooks import transport


def test_a_redirect_is_not_followed(receiver):
    receiver.answer(301, Location="http://127.0.0.1:1/elsewhere")
    answer = transport.post(receiver.url, b"{}", {})
    assert answer.status == 301 and not answer.succeeded
    assert len(receiver.requests) == 1


def test_an_answer_slower_than_the_timeout_is_no_answer(receiver, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    receiver.answer(200, delay=2.5)
    answer = transport.post(receiver.url, b"{}", {})
    assert answer.status is None and answer.error == "no answer within 1 s"
    assert 900 <= answer.latency_ms < 2400


def test_https_is_tls_to_the_checked_address(receiver):
    """The local receiver speaks plain HTTP: asked for https, the handshake fails and no body is sent."""
    answer = transport.post(receiver.url.replace("http://", "https://"), b"{}", {})
    assert answer.status is None and "SSL" in answer.error
    assert receiver.requests == []


def test_the_excerpt_is_the_start_of_the_answer_and_the_host_header_the_endpoints(receiver):
    receiver.answer(500, b"x" * 5000)
    answer = transport.post(receiver.url, b'{"a":1}', {"webhook-id": "evt_1"})
    assert answer.excerpt == "x" * transport.EXCERPT_BYTES
    [request] = receiver.requests
    assert request.headers["host"] == receiver.url.split("/")[2]
    assert request.body == b'{"a":1}' and request.headers["webhook-id"] == "evt_1"
