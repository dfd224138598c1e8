"""Console pages of metering, mounted at /console/usage/ by config/urls.py."""

from django.urls import path

from metering import views

app_name = "metering-console"

urlpatterns = [
    path("", views.usage, name="usage"),
]
