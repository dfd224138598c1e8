"""The finance pages, mounted under /admin/ by config/urls.py (before the admin's own URLs)."""

from django.urls import path

from analytics import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="analytics-dashboard"),
    path("revenue-recognition/", views.revenue_recognition_page, name="analytics-revenue-recognition-page"),
]
