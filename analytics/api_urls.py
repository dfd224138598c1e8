"""API routes of this app, mounted under /api/v1/ by config/urls.py."""

from django.urls import path

from analytics import api

urlpatterns: list = [
    path("analytics/mrr", api.MrrView.as_view(), name="analytics-mrr"),
    path("analytics/revenue-recognition", api.RevenueRecognitionView.as_view(), name="analytics-revenue-recognition"),
]
