"""The webhooks' settings, each declared once (billing/app_settings.py explains the convention).

Read them as `conf.settings.NAME`, at call time; config/settings/webhooks.py reads the environment.
Who hears of a disabled endpoint is invoicing's FINANCE_ALERT_EMAILS (invoicing/conf.py).
"""

from __future__ import annotations

import ipaddress

from billing.app_settings import AppSettings, Setting, TextList, WholeNumber


def _networks(values: list[str]) -> str | None:
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            return f"{value!r} is not an IP network such as 10.0.0.0/8 or ::1/128"
    return None


class WebhooksSettings(AppSettings):
    app_label = "webhooks"

    WEBHOOK_ALLOWED_NETWORKS = Setting(TextList(), [], rule=_networks, doc=(
        "comma-separated IP networks (`10.20.0.0/16`, `127.0.0.1/32`) that webhook endpoints may resolve "
        "to although they are loopback, private or link-local; every other such address is refused, "
        "at registration and at each delivery (`docs/events.md`)"))
    WEBHOOK_TIMEOUT_SECONDS = Setting(WholeNumber(), 15, minimum=1, maximum=60, doc=(
        "how long one delivery attempt may take, connecting and answering, before it counts as failed"))


settings = WebhooksSettings()
