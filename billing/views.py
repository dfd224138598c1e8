"""Console pages of the billing app: account switching, API keys; the error pages; the guard every console
page wears. The overview, which reads every app, is console.views.home."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseForbidden, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from billing.api.errors import json_404, json_500
from billing.display import Display
from billing.errors import BillingError
from billing.middleware import ACTIVE_ACCOUNT_SESSION_KEY
from billing.models import ApiKey, ApiScope, MembershipRole
from billing.selectors import membership_for
from billing.services import api_key_create, api_key_revoke


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return json_404(request, exception)
    return render(request, "404.html", status=404)


def server_error(request):
    if request.path.startswith("/api/"):
        return json_500(request)
    return render(request, "500.html", status=500)


# Who may pay, change the plan and payment methods (viewers read only; owners also manage people and keys).
MANAGER_ROLES = (MembershipRole.OWNER, MembershipRole.BILLING_MANAGER)


def console_required(view):
    """Signed in and a member of at least one account (the active one is in the scope)."""

    @login_required
    def wrapped(request, *args, **kwargs):
        if request.active_membership is None:
            return render(request, "console/no_account.html", status=403)
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


@login_required
@require_POST
def switch_account(request):
    try:
        account_id = int(request.POST.get("account_id", ""))
    except ValueError:
        raise Http404("Unknown account") from None
    membership = membership_for(request.user, account_id)
    if membership is None or membership.account_id != account_id:
        raise Http404("Unknown account")
    request.session[ACTIVE_ACCOUNT_SESSION_KEY] = account_id
    messages.success(request, f"Now working in {membership.account.name}.")
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = "console:home"  # only pages of this site: `next` must not be an open redirect
    return redirect(next_url)


ACCOUNT_KEY_SCOPES = [(s.value, s.label) for s in ApiScope if s != ApiScope.ADMIN]


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100)
    scopes = forms.MultipleChoiceField(choices=ACCOUNT_KEY_SCOPES, widget=forms.CheckboxSelectMultiple)


# The secret of a key just created waits here for the one page that shows it (POST, redirect, GET):
# a refresh of that page re-sends nothing, and the secret is gone from the session once shown.
NEW_SECRET_SESSION_KEY = "console_new_api_key"


@console_required
def api_keys(request):
    membership = request.active_membership
    is_owner = membership.role == MembershipRole.OWNER
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST":
        if not is_owner:
            return HttpResponseForbidden("Only account owners manage API keys.")
        if form.is_valid():
            try:  # account keys only, never the admin scope: the service says so whatever the form offers
                issued = api_key_create(name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"],
                                        account=membership.account, created_by=request.user)
            except BillingError as exc:
                for name, reasons in exc.fields.items():
                    form.add_error(name if name in form.fields else None, reasons)
            else:
                request.session[NEW_SECRET_SESSION_KEY] = {"secret": issued.secret,
                                                           "account_id": membership.account_id}
                return redirect("console:api-keys")
    shown = request.session.pop(NEW_SECRET_SESSION_KEY, None)
    new_secret = shown["secret"] if shown and shown.get("account_id") == membership.account_id else None
    display = Display.for_request(request)
    keys = [{"key": key, "last_used": display.day(key.last_used_at) if key.last_used_at else "",
             "created": display.day(key.created_at)}
            for key in ApiKey.objects.filter(account_id=membership.account_id).order_by("-created_at", "-id")]
    response = render(request, "console/api_keys.html",
                      {"form": form, "keys": keys, "new_secret": new_secret, "is_owner": is_owner})
    if new_secret:
        response["Cache-Control"] = "no-store"  # the secret must not stay in a cache or the history
    return response


@console_required
def api_key_revoke_view(request, key_id: int):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if request.active_membership.role != MembershipRole.OWNER:
        return HttpResponseForbidden("Only account owners manage API keys.")
    api_key = ApiKey.objects.filter(pk=key_id, account_id=request.active_membership.account_id).first()
    if api_key is None:
        raise Http404("Unknown key")
    api_key_revoke(api_key=api_key)
    messages.success(request, f"Key {api_key.prefix}… revoked.")
    return redirect("console:api-keys")
