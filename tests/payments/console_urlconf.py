"""The project's URLs with the payments console pages inside the console namespace, as the console
mounts them (`path("console/", include("payments.console_urls"))` in billing/console_urls.py)."""

from django.urls import include, path

from billing import console_urls as billing_console
from config import urls as project_urls

console = [*billing_console.urlpatterns, path("console/", include("payments.console_urls"))]
urlpatterns = [
    path("", include((console, "console"))),
    *[p for p in project_urls.urlpatterns if getattr(p, "urlconf_name", None) != "billing.console_urls"],
]
