"""Cursor pagination with `?limit=` between 1 and 100 (default 25), and signed cursors.

A page answers `{"next": url|null, "previous": url|null, "results": [...]}`; the
cursor in those links is opaque and signed with the server's secret key, so a cursor
the server did not make (tampered, truncated, from another installation) is a 400
naming `cursor`, never a query built from whatever it says (docs/api.md, "Pagination").
"""

from django.core import signing
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.utils.urls import replace_query_param

MAX_LIMIT = 100
_CURSOR_SALT = "billing.api.pagination.cursor"
INVALID_CURSOR = "Not a cursor this API made: use the `next` or `previous` link of a page as it is."


class LimitCursorPagination(CursorPagination):
    page_size = 25
    page_size_query_param = "limit"
    max_page_size = MAX_LIMIT
    ordering = "-id"

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            limit = int(raw)
        except ValueError:
            raise ValidationError({"limit": [f"Must be an integer between 1 and {MAX_LIMIT}."]}) from None
        if not 1 <= limit <= MAX_LIMIT:
            raise ValidationError({"limit": [f"Must be between 1 and {MAX_LIMIT}."]})
        return limit

    def get_schema_operation_parameters(self, view):
        return [
            {"name": self.cursor_query_param, "in": "query", "required": False, "schema": {"type": "string"},
             "description": "The cursor of the `next` or `previous` link of a page, as it is."},
            {"name": self.page_size_query_param, "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": self.page_size},
             "description": f"Results per page, 1 to {MAX_LIMIT}."},
        ]

    def get_paginated_response_schema(self, schema):
        """DRF's page shape, with the links' null written as OpenAPI 3.1 (JSON Schema) writes it."""
        link = {"type": ["string", "null"], "format": "uri"}
        return {"type": "object", "required": ["results"], "properties": {
            "next": {**link, "example": "https://billing.example.com/api/v1/invoices?cursor=cD00ODY%3D"},
            "previous": {**link, "example": None},
            "results": schema,
        }}

    def encode_cursor(self, cursor):
        token = signing.Signer(salt=_CURSOR_SALT).sign_object(
            [cursor.offset, cursor.reverse, cursor.position], compress=False)
        return replace_query_param(self.base_url, self.cursor_query_param, token)

    def decode_cursor(self, request):
        token = request.query_params.get(self.cursor_query_param)
        if token is None:
            return None
        try:
            offset, reverse, position = signing.Signer(salt=_CURSOR_SALT).unsign_object(token)
        except (signing.BadSignature, ValueError, TypeError):
            raise ValidationError({"cursor": [INVALID_CURSOR]}) from None
        return Cursor(offset=offset, reverse=reverse, position=position)
