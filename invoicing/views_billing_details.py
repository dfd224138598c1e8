"""The console's billing details page (/console/billing/): who is invoiced and where (the billing profile), who
else receives billing emails and which emails the account wants (its invoicing preferences).

Owners and billing managers change them; viewers read them. The form only gathers the fields: every rule (an
email address, a country code, a tax id's check digits, the languages) is the services' (`billing_details_update`),
the same the API applies, and an error comes back on the field it names with what was typed kept.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pycountry
from babel import Locale
from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.display import language_of
from billing.errors import ValidationFailed
from billing.models import BillingProfile
from billing.tax_ids import TAX_ID_TYPES, tax_id_type_choices
from billing.views import MANAGER_ROLES, console_required
from invoicing.models import EmailType
from invoicing.selectors import invoicing_preferences
from invoicing.services import billing_details_update

PROFILE_FORM_FIELDS = ("legal_name", "email", "address_line1", "address_line2", "city", "state", "postal_code",
                       "country", "tax_id_type", "tax_id", "preferred_language")
# The emails a customer may turn off (the finance staff's own alerts are not theirs to choose).
CUSTOMER_EMAILS = [(value, label) for value, label in EmailType.choices if not value.startswith("finance_")]


@lru_cache(maxsize=len(settings.LANGUAGES))
def country_choices(language: str) -> tuple[tuple[str, str], ...]:
    """Every ISO 3166 country, named in the reader's language (CLDR through babel), sorted by that name."""
    names = Locale.parse(language).territories
    countries = [(c.alpha_2, names.get(c.alpha_2, c.name)) for c in pycountry.countries]
    return tuple(sorted(countries, key=lambda pair: pair[1].casefold()))


def text(name: str, label, **kwargs) -> forms.CharField:
    """A text field as long as its column allows (the database's limit; the service checks the content)."""
    return forms.CharField(label=label, required=False, max_length=BillingProfile._meta.get_field(name).max_length,
                           **kwargs)


class BillingDetailsForm(forms.Form):
    legal_name = text("legal_name", gettext_lazy("Legal name"))
    email = text("email", gettext_lazy("Billing email"), widget=forms.EmailInput(attrs={"autocomplete": "email"}),
                 help_text=gettext_lazy("Invoices and receipts are sent here."))
    extra_recipients = forms.CharField(
        label=gettext_lazy("Other billing contacts"), required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One email address a line; they receive the same emails."))
    address_line1 = text("address_line1", gettext_lazy("Address"),
                         widget=forms.TextInput(attrs={"autocomplete": "address-line1"}))
    address_line2 = text("address_line2", gettext_lazy("Address (line 2)"),
                         widget=forms.TextInput(attrs={"autocomplete": "address-line2"}))
    city = text("city", gettext_lazy("City"), widget=forms.TextInput(attrs={"autocomplete": "address-level2"}))
    state = text("state", gettext_lazy("State or region"),
                 widget=forms.TextInput(attrs={"autocomplete": "address-level1"}))
    postal_code = text("postal_code", gettext_lazy("Postal code"),
                       widget=forms.TextInput(attrs={"autocomplete": "postal-code"}))
    country = forms.ChoiceField(label=gettext_lazy("Country"), required=False)
    tax_id_type = forms.ChoiceField(label=gettext_lazy("Tax id type"), required=False)
    tax_id = text("tax_id", gettext_lazy("Tax id"),
                  help_text=gettext_lazy("Checked against its format and check digits, e.g. FR40303265045."))
    preferred_language = forms.ChoiceField(label=gettext_lazy("Invoice language"), choices=settings.LANGUAGES,
                                           help_text=gettext_lazy("Invoices and billing emails are written in it."))
    emails = forms.MultipleChoiceField(label=gettext_lazy("Emails to receive"), required=False,
                                       choices=CUSTOMER_EMAILS, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, language: str = "en", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("Choose a country"))] + list(country_choices(language))
        self.fields["tax_id_type"].choices = [("", _("None"))] + tax_id_type_choices()

    def clean(self):
        data = super().clean()
        if data.get("tax_id") and not data.get("tax_id_type"):
            self.add_error("tax_id_type", _("Choose the type of this tax id."))
        return data

    def changes(self, prefs) -> tuple[dict, dict]:
        """(profile fields, invoicing preferences) for `billing_details_update`; opt-outs of emails this form does
        not offer stay as they were."""
        data = self.cleaned_data
        profile = {name: data[name].strip() for name in PROFILE_FORM_FIELDS}
        contacts = [address.strip() for address in re.split(r"[\s,;]+", data["extra_recipients"]) if address.strip()]
        offered = {value for value, _label in CUSTOMER_EMAILS}
        opted_out = [value for value in (prefs.email_opt_outs if prefs else []) if value not in offered]
        opted_out += [value for value, _label in CUSTOMER_EMAILS if value not in data["emails"]]
        return profile, {"extra_recipients": contacts, "email_opt_outs": opted_out}


def initial_of(profile: BillingProfile | None, prefs) -> dict:
    initial = {name: getattr(profile, name) for name in PROFILE_FORM_FIELDS} if profile else {}
    initial.setdefault("preferred_language", "en")
    initial["preferred_language"] = (initial["preferred_language"] or "en").split("-")[0]
    initial["extra_recipients"] = "\n".join(prefs.extra_recipients) if prefs else ""
    opted_out = set(prefs.email_opt_outs) if prefs else set()
    initial["emails"] = [value for value, _label in CUSTOMER_EMAILS if value not in opted_out]
    return initial


# Where an error of a service lands on the form, when the service's name for the field is not the form's.
FORM_FIELD_OF = {"email_opt_outs": "emails"}


@console_required
def billing_details(request):
    membership = request.active_membership
    may_change = membership.role in MANAGER_ROLES
    account = membership.account
    profile = BillingProfile.objects.filter(account_id=account.pk).first()
    prefs = invoicing_preferences(account)
    language = language_of(request)
    status = 200
    if request.method == "POST":
        if not may_change:
            return HttpResponseForbidden(_("Only owners and billing managers change the billing details."))
        form = BillingDetailsForm(request.POST, language=language)
        if form.is_valid():
            profile_changes, invoicing_changes = form.changes(prefs)
            try:
                billing_details_update(account=account, profile=profile_changes, invoicing=invoicing_changes)
            except ValidationFailed as exc:
                for name, reasons in exc.fields.items():
                    name = FORM_FIELD_OF.get(name, name)
                    form.add_error(name if name in form.fields else None, reasons)
            else:
                messages.success(request, _("Billing details saved."))
                return redirect("console:billing-details")
        status = 400
    else:
        form = BillingDetailsForm(initial=initial_of(profile, prefs), language=language)
    countries = dict(country_choices(language))
    return render(request, "invoicing/console/billing_details.html", {
        "form": form, "may_change": may_change, "profile": profile, "prefs": prefs,
        "country_name": countries.get(profile.country, profile.country) if profile else "",
        "tax_id_label": TAX_ID_TYPES[profile.tax_id_type][0] if profile and profile.tax_id_type in TAX_ID_TYPES
        else (profile.tax_id_type if profile else ""),
        "language_name": dict(settings.LANGUAGES).get((profile.preferred_language or "en").split("-")[0], "")
        if profile else "",
        "emails_received": [label for value, label in CUSTOMER_EMAILS
                            if not prefs or value not in prefs.email_opt_outs],
    }, status=status)
