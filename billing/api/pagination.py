"""Cursor pagination with `?limit=` between 1 and 100 (default 25)."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination

MAX_LIMIT = 100


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
