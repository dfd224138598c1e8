"""API routes of this app, mounted under /api/v1/ by config/urls.py."""

from django.urls import path

from exports.api import ExportView

urlpatterns: list = [
    path("exports/<str:kind>", ExportView.as_view(), name="export"),
]
