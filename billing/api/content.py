"""What the API reads and answers: JSON in UTF-8, nested at most MAX_JSON_DEPTH levels.

The media type and the body's size are checked before any view runs
(`billing.middleware.ApiTransportMiddleware`); this module reads the body itself.
Every refusal is a 400 naming `body` (docs/api.md, "Limits and dependencies").
"""

from __future__ import annotations

import json
import re

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser

from billing.errors import BillingError

# Deep enough for any document the API defines (plan tiers are four levels), shallow enough that no
# parser or later reader (psycopg's json.loads of a jsonb column) runs out of stack.
MAX_JSON_DEPTH = 64


class BodyInvalid(BillingError):
    """The request body cannot be read as JSON."""

    status = 400
    code = "invalid_body"

    def __init__(self, reason: str):
        super().__init__(f"The request body cannot be read: {reason}", fields={"body": [reason]})


NOT_UTF8 = "Not valid UTF-8."
TOO_DEEP = f"Nested deeper than {MAX_JSON_DEPTH} levels."
LONE_SURROGATE = "A \\uD800-\\uDFFF escape that is not half of a surrogate pair: not a character."
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def too_deep(value, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether decoded JSON nests objects and arrays more than `limit` levels (the outermost is level 1)."""
    if not isinstance(value, dict | list):
        return False
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return False


def object_too_deep(value: dict, encoded: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """`too_deep` for a decoded JSON object and its compact text, cheap for the usual case (it runs for
    every usage event with properties): nesting past `limit` takes more than `limit` brackets opened and
    closed, so shorter text cannot, nor an object none of whose values is an object or an array; only
    then are the brackets counted, and only past `limit` of them is the text scanned."""
    if len(encoded) < 2 * (limit + 1):
        return False
    for child in value.values():
        if isinstance(child, _CONTAINERS):
            return encoded_too_deep(encoded, limit)
    return False


_CONTAINERS = (dict, list)


def encoded_too_deep(encoded: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """`too_deep` on compact JSON text: fewer brackets than `limit` cannot nest deeper; else the text
    is scanned, brackets inside strings skipped."""
    if encoded.count(b"{") + encoded.count(b"[") <= limit:
        return False
    depth, in_string, escaped = 0, False, False
    for byte in encoded:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x7B, 0x5B):  # { [
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x7D, 0x5D):  # } ]
            depth -= 1
    return False


def has_lone_surrogate(data) -> bool:
    """Whether a decoded document holds a lone surrogate, which json.loads lets through from a \\uD8xx
    escape and nothing can store or encode as UTF-8 (PostgreSQL, the logs, the answer)."""
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


class JsonParser(BaseParser):
    """DRF's JSON parser, refusing with a 400 what it let through as a 500: bytes that are not
    UTF-8 and nesting that exhausts Python's stack. NaN and Infinity are refused as before."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BodyInvalid(NOT_UTF8) from None
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except RecursionError:
            raise BodyInvalid(TOO_DEEP) from None
        except ValueError as exc:
            raise BodyInvalid(f"Not valid JSON: {exc}.") from None
        if too_deep(data):
            raise BodyInvalid(TOO_DEEP)
        if _SURROGATE_ESCAPE.search(raw) and has_lone_surrogate(data):
            raise BodyInvalid(LONE_SURROGATE)
        return data


class JsonNegotiation(DefaultContentNegotiation):
    """Answers JSON whatever `Accept` says (the PDF downloads answer PDF): a client asking for
    something else gets what the API has rather than a 406."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type
