"""Console pages of an account's people: the Members page (owners invite, change roles, remove, revoke
invitations; others read it), accepting an invitation, and the one-time portal links of the operator's app."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, login, password_validation
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from billing.display import Display
from billing.errors import BillingError
from billing.middleware import ACTIVE_ACCOUNT_SESSION_KEY
from billing.models import Invitation, Membership, MembershipRole, PortalFlow
from billing.services import (
    LinkUnusable,
    invitation_accept,
    invitation_accept_new_person,
    invitation_by_token,
    invitation_create,
    invitation_problem,
    invitation_revoke,
    member_remove,
    member_role_change,
    portal_session_redeem,
)
from billing.views import console_required

# Where a portal link came from: the frame shows "Back to <operator>" while the session works in that account.
PORTAL_RETURN_SESSION_KEY = "console_portal_return"


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=254)
    role = forms.ChoiceField(choices=MembershipRole.choices, initial=MembershipRole.VIEWER)


def _owner_only(request):
    if request.active_membership.role != MembershipRole.OWNER:
        return HttpResponseForbidden("Only account owners manage members.")
    return None


@console_required
def members(request):
    membership = request.active_membership
    is_owner = membership.role == MembershipRole.OWNER
    form = InviteForm(request.POST or None)
    if request.method == "POST":
        if refused := _owner_only(request):
            return refused
        if form.is_valid():
            try:
                issued = invitation_create(
                    account=membership.account, email=form.cleaned_data["email"], role=form.cleaned_data["role"],
                    invited_by=request.user,
                    accept_url_of=lambda token: request.build_absolute_uri(
                        reverse("console:invitation-accept", args=[token])))
            except BillingError as exc:
                for name, reasons in exc.fields.items():
                    form.add_error(name if name in form.fields else None, reasons)
            else:
                messages.success(request, f"Invitation sent to {issued.invitation.email}.")
                return redirect("console:members")
    display = Display.for_request(request)
    people = [{"membership": m, "joined": display.day(m.created_at), "is_you": m.user_id == request.user.pk}
              for m in Membership.objects.filter(account_id=membership.account_id).select_related("user")
              .order_by("user__email", "id")]
    pending = [{"invitation": i, "expires": display.day(i.expires_at)}
               for i in Invitation.objects.filter(account_id=membership.account_id, accepted_at__isnull=True,
                                                  revoked_at__isnull=True).order_by("email", "id")]
    return render(request, "console/members.html", {
        "form": form, "people": people, "pending": pending, "is_owner": is_owner,
        "roles": MembershipRole.choices}, status=400 if form.errors else 200)


def _member_of_this_account(request, membership_id: int) -> Membership:
    found = (Membership.objects.filter(pk=membership_id, account_id=request.active_membership.account_id)
             .select_related("user", "account").first())
    if found is None:
        raise Http404("No such member.")
    return found


@console_required
@require_POST
def member_role(request, membership_id: int):
    if refused := _owner_only(request):
        return refused
    member = _member_of_this_account(request, membership_id)
    role = request.POST.get("role", "")
    try:
        member_role_change(membership=member, role=role)
    except BillingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{member.user.email or member.user.get_username()} is now "
                                  f"{MembershipRole(role).label.lower()}.")
    return redirect("console:members")


@console_required
@require_POST
def member_remove_view(request, membership_id: int):
    if refused := _owner_only(request):
        return refused
    member = _member_of_this_account(request, membership_id)
    try:
        member_remove(membership=member)
    except BillingError as exc:
        messages.error(request, exc.message)
        return redirect("console:members")
    messages.success(request, f"{member.user.email or member.user.get_username()} no longer has access.")
    if member.user_id == request.user.pk:
        request.session.pop(ACTIVE_ACCOUNT_SESSION_KEY, None)
        return redirect("console:home")
    return redirect("console:members")


@console_required
@require_POST
def invitation_revoke_view(request, invitation_id: int):
    if refused := _owner_only(request):
        return refused
    invitation = Invitation.objects.filter(pk=invitation_id,
                                           account_id=request.active_membership.account_id).first()
    if invitation is None:
        raise Http404("No such invitation.")
    invitation_revoke(invitation=invitation)
    messages.success(request, f"The invitation of {invitation.email} was withdrawn.")
    return redirect("console:members")


class NewPersonForm(forms.Form):
    password1 = forms.CharField(label="Choose a password", strip=False, widget=forms.PasswordInput(
        attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label="The same password again", strip=False, widget=forms.PasswordInput(
        attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        elif first:
            try:
                password_validation.validate_password(first, get_user_model()(username=self.email,
                                                                               email=self.email))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


def _joined(request, membership: Membership):
    request.session[ACTIVE_ACCOUNT_SESSION_KEY] = membership.account_id
    messages.success(request, f"You joined {membership.account.name} as "
                              f"{membership.get_role_display().lower()}.")
    return redirect("console:home")


def invitation_accept_view(request, token: str):
    """Who follows the link: signed in with the invited address, they accept; a new address sets a password;
    an existing person signs in first; someone signed in as another person is told so."""
    invitation = invitation_by_token(token)
    problem = invitation_problem(invitation)
    if problem:
        return render(request, "console/invitation_unusable.html", {"problem": problem},
                      status=404 if invitation is None else 410)
    users = get_user_model().objects
    user = request.user if request.user.is_authenticated else None
    known = users.filter(email__iexact=invitation.email).exists()
    matches = user is not None and (user.email or "").lower() == invitation.email.lower()
    form = NewPersonForm(request.POST or None, email=invitation.email) if user is None and not known else None
    if request.method == "POST":
        try:
            if matches:
                return _joined(request, invitation_accept(token=token, user=user))
            if form is not None and form.is_valid():
                membership = invitation_accept_new_person(token=token, password=form.cleaned_data["password1"])
                login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
                return _joined(request, membership)
        except LinkUnusable as exc:
            return render(request, "console/invitation_unusable.html", {"problem": exc.message}, status=410)
        except BillingError as exc:  # the address got a user meanwhile: they sign in instead
            if form is None:
                raise
            form.add_error(None, exc.message)
    return render(request, "console/invitation_accept.html", {
        "invitation": invitation, "form": form, "matches": matches, "signed_in_as": user, "known": known,
        "expires": Display.for_request(request).day(invitation.expires_at),
        "login_url": f"{reverse('console:login')}?{urlencode({'next': request.path})}",
    }, status=400 if form is not None and form.errors else 200)


def _flow_url(session) -> str:
    if session.flow == PortalFlow.PAY_INVOICE:
        if session.invoice_id:
            return reverse("invoicing-console:invoice", args=[session.invoice_id])
        return reverse("invoicing-console:invoices") + "?status=open"
    if session.flow == PortalFlow.UPDATE_PAYMENT_METHOD:
        return reverse("console:payment-methods")
    # The plan page is another part of the console (built beside this one): linked by its path.
    if session.flow == PortalFlow.CHANGE_PLAN:
        return "/console/plan/"
    if session.flow == PortalFlow.CANCEL:
        return "/console/plan/#cancel"
    return reverse("console:home")


def portal_enter(request, token: str):
    """A portal link: signs its person in (whoever was signed in in this browser before), in its account, and
    opens its flow. Used or expired: a 404 that says so."""
    try:
        session, membership = portal_session_redeem(token=token)
    except LinkUnusable as exc:
        return render(request, "console/link_expired.html", {"problem": exc.message}, status=404)
    login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[ACTIVE_ACCOUNT_SESSION_KEY] = membership.account_id
    request.session[PORTAL_RETURN_SESSION_KEY] = {"url": session.return_url, "account_id": membership.account_id}
    return redirect(_flow_url(session))
