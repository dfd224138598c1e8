"""The finance dashboard (`/admin/dashboard/`, linked first from the admin index) and the revenue
recognition page and CSV. Staff in `finance_admin` or `finance_viewer`, and superusers; anyone else
signed in as staff is refused, and a visitor is sent to the admin's sign-in (admin_view)."""

from __future__ import annotations

import csv
from datetime import date
from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse

from analytics import dashboard_reads as reads
from analytics import rates
from analytics.charts import month_bars
from analytics.months import month_end, month_start, months_between, previous_month
from analytics.recognition import revenue_recognition
from billing import clock
from billing.display import Display
from billing.roles import FINANCE_ADMIN, FINANCE_VIEWER
from pricing.money import to_major


def finance_staff(view):
    def checked(request, *args, **kwargs):
        user = request.user
        if not (user.is_superuser or user.groups.filter(name__in=(FINANCE_ADMIN, FINANCE_VIEWER)).exists()):
            raise PermissionDenied("The finance dashboard is for the finance groups.")
        return view(request, *args, **kwargs)

    return admin.site.admin_view(checked)


def changelist(model: str, **filters) -> str | None:
    """The admin list of `app.model` filtered by field lookups; None when that list is not in the admin."""
    try:
        url = reverse(f"admin:{model.replace('.', '_')}_changelist")
    except NoReverseMatch:
        return None
    query = {key: value for key, value in filters.items() if value is not None}
    return f"{url}?{urlencode(query)}" if query else url


def _revenue(figures, display: Display) -> list[dict]:
    out = []
    for item in figures:
        month, currency = item.month, item.currency
        snapshot_list = changelist("analytics.mrrsnapshot", day=month.as_of.isoformat(), currency=currency,
                                   mrr__gt=0)
        month_list = changelist("analytics.mrrmonth", currency=currency)
        points = [(f"{row.month:%Y-%m}", row.mrr, display.money(row.mrr, currency),
                   changelist("analytics.mrrmonth", currency=currency, month=row.month.isoformat()) or "")
                  for row in item.history]
        out.append({
            "currency": currency, "month": month, "mrr": display.money(month.mrr, currency),
            "arr": display.money(item.arr, currency), "snapshot_list": snapshot_list, "month_list": month_list,
            "movements": [(label, display.money(getattr(month, name), currency)) for name, label in (
                ("mrr_start", "MRR at the start"), ("new", "New"), ("expansion", "Expansion"),
                ("reactivated", "Reactivated"), ("contraction", "Contraction"), ("churned", "Churned"),
                ("mrr", "MRR now"))],
            "new_count": month.new_subscriptions, "churned_count": month.churned_subscriptions,
            "nrr": display.percent(rates.net_revenue_retention(month)) or "–",
            "grr": display.percent(rates.gross_revenue_retention(month)) or "–",
            "logo_churn": display.percent(rates.logo_churn_rate(month)) or "–",
            "revenue_churn": display.percent(rates.revenue_churn_rate(month)) or "–",
            "trials": f"{month.trials_converted} / {month.trials_ended}",
            "usage_last": display.money(item.usage_last_month, currency),
            "usage_average": display.money(item.usage_average, currency),
            "usage_month": item.usage_month,
            "chart": month_bars(points),
            "history": [(f"{row.month:%Y-%m}", display.money(row.mrr, currency), display.money(row.new, currency),
                         display.money(row.churned, currency)) for row in reversed(item.history)],
        })
    return out


def _receivables(today: date, display: Display) -> dict:
    rows = []
    for aging in reads.receivables(today):
        cells = []
        for name, count, amount, since, until in aging.cells:
            filters = {"status__exact": "open", "currency__exact": aging.currency}
            if name == "current":
                filters["due_date__gte"] = today.isoformat()
            else:
                filters["due_date__lte"] = until.isoformat()
                if since is not None:
                    filters["due_date__gte"] = since.isoformat()
            cells.append({"name": name, "count": count, "amount": display.money(amount, aging.currency),
                          "href": changelist("invoicing.invoice", **filters)})
        rows.append({"currency": aging.currency, "cells": cells, "open_count": aging.open_count,
                     "open_amount": display.money(aging.open_amount, aging.currency),
                     "open_href": changelist("invoicing.invoice", status__exact="open", currency__exact=aging.currency),
                     "overdue_count": aging.overdue_count,
                     "overdue_amount": display.money(aging.overdue_amount, aging.currency),
                     "overdue_href": changelist("invoicing.invoice", status__exact="open",
                                                currency__exact=aging.currency, due_date__lt=today.isoformat())})
    # Each bucket links to the open invoices of that age, in every currency (the accounts' rows behind it).
    ranges = {name: (since, until) for name, _, _, since, until in (reads.receivables_ranges(today))}
    accounts = []
    for name, count in reads.accounts_by_overdue(today):
        since, until = ranges[name]
        filters = {"status__exact": "open"}
        if name == "current":
            filters["due_date__gte"] = today.isoformat()
        else:
            filters["due_date__lte"] = until.isoformat()
            if since is not None:
                filters["due_date__gte"] = since.isoformat()
        accounts.append((name, count, changelist("invoicing.invoice", **filters)))
    return {"rows": rows, "accounts": accounts}


@finance_staff
def dashboard(request):
    now = clock.now()
    today = now.date()
    display = Display.for_request(request)
    day = reads.latest_day()
    figures = reads.revenue_figures(today)
    paying = [{"plan": p, "mrr": display.money(p.mrr, p.currency),
               "href": changelist("billing.subscription", plan__id__exact=p.plan_id, status__in="active,past_due")}
              for p in reads.paying_by_plan(day)]
    collected = reads.collections(now)
    since = (now - reads.PAYMENT_WINDOW).isoformat()
    failures = [(code, n, changelist("payments.payment", status__exact="failed", created_at__gte=since,
                                     failure_code="" if code == reads.NO_FAILURE_CODE else code))
                for code, n in collected.failures]
    ops = reads.operations(now)
    context = {
        **admin.site.each_context(request), "title": "Finance dashboard", "today": today, "snapshot_day": day,
        "revenue": _revenue(figures, display), "paying": paying,
        "receivables": _receivables(today, display),
        "collections": collected, "failures": failures, "success_rate": display.percent(collected.success_rate) if collected.attempts
        else "–",
        "operations": ops, "display": display,
        "links": {
            "payments": changelist("payments.payment", created_at__gte=(now - reads.PAYMENT_WINDOW).isoformat()),
            "dunning": changelist("payments.dunningcase"),
            "reconciliation": changelist("payments.reconciliationrun"),
            "discrepancies": changelist("payments.discrepancy", resolution__exact="open",
                                        run__id__exact=collected.reconciliation.pk if collected.reconciliation
                                        else None),
            "bill_runs": changelist("invoicing.billrun"),
            "bill_run_failures": changelist("invoicing.billrunfailure", resolved_at__isnull="True"),
            "outbox_pending": changelist("billing.outboxevent", status__exact="pending"),
            "outbox_failed": changelist("billing.outboxevent", status__exact="failed"),
            "webhooks_pending": changelist("webhooks.webhookdelivery", status__exact="pending"),
            "webhooks_failed": changelist("webhooks.webhookdelivery", status__exact="failed"),
            "recognition": reverse("analytics-revenue-recognition-page"),
        },
    }
    return TemplateResponse(request, "analytics/dashboard.html", context)


def _range(request, today: date) -> tuple[str, date, date, dict]:
    """The page's currency and months from its form; bad values fall back to the defaults, named."""
    errors = {}
    currency = (request.GET.get("currency") or "").strip().upper() or None
    last = month_start(today)
    first = last
    for _ in range(11):
        first = previous_month(first)
    for name in ("from", "to"):
        value = request.GET.get(name)
        if value:
            try:
                parsed = date.fromisoformat(f"{value}-01")
            except ValueError:
                errors[name] = "A month is written YYYY-MM."
                continue
            if name == "from":
                first = parsed
            else:
                last = parsed
    if last < first or len(months_between(first, last)) > 120:
        errors["to"] = "From 1 to 120 months after the first."
        last = first
    return currency, first, last, errors


@finance_staff
def revenue_recognition_page(request):
    """Recognized and deferred revenue per month and product (and the same as CSV with ?format=csv)."""
    display = Display.for_request(request)
    currency, first, last, errors = _range(request, clock.now().date())
    currencies = sorted({row.currency for row in reads.months_history()} | ({currency} if currency else set()))
    currency = currency or (currencies[0] if currencies else "USD")
    rows = [] if errors else revenue_recognition(currency=currency, first=first, last=last)
    if request.GET.get("format") == "csv" and not errors:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="revenue-recognition-{currency}-{first:%Y-%m}-{last:%Y-%m}.csv"')
        writer = csv.writer(response)
        writer.writerow(["month", "product", "currency", "recognized", "deferred"])
        for row in rows:
            writer.writerow([f"{row.month:%Y-%m}", row.product or "(no product)", currency,
                             to_major(row.recognized, currency), to_major(row.deferred, currency)])
        return response
    totals: dict[date, list[int]] = {}
    for row in rows:
        total = totals.setdefault(row.month, [0, 0])
        total[0] += row.recognized
        total[1] += row.deferred
    context = {
        **admin.site.each_context(request), "title": "Revenue recognition", "currency": currency,
        "currencies": currencies or [currency], "first": f"{first:%Y-%m}", "last": f"{last:%Y-%m}",
        "errors": errors, "until": month_end(last),
        "rows": [{"month": f"{row.month:%Y-%m}", "product": row.product or "(no product)",
                  "recognized": display.money(row.recognized, currency),
                  "deferred": display.money(row.deferred, currency)} for row in rows],
        "totals": [{"month": f"{month:%Y-%m}", "recognized": display.money(r, currency),
                    "deferred": display.money(d, currency)} for month, (r, d) in sorted(totals.items())],
        "csv_query": urlencode({"currency": currency, "from": f"{first:%Y-%m}", "to": f"{last:%Y-%m}",
                                "format": "csv"}),
    }
    return TemplateResponse(request, "analytics/revenue_recognition.html", context)
