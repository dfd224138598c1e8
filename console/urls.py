"""The console's URLconf (namespace `console`), mounted at the root by config/urls.py: sign-in and passwords,
the overview, branding, account switching, API keys, members and invitations, portal links, and the pages
of billing (plan), invoicing (billing details) and payments."""

from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy
from django.views.generic import RedirectView

from billing import branding, member_views
from billing import views as billing_views
from billing.signin import ConsoleSignInForm
from console import views

app_name = "console"

auth = [
    path("login/", auth_views.LoginView.as_view(template_name="console/login.html",
                                                 authentication_form=ConsoleSignInForm,
                                                 redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", auth_views.PasswordChangeView.as_view(
        template_name="console/password_change.html",
        success_url=reverse_lazy("console:password_change_done")), name="password_change"),
    path("password/change/done/", auth_views.PasswordChangeDoneView.as_view(
        template_name="console/password_change_done.html"), name="password_change_done"),
    path("password/reset/", auth_views.PasswordResetView.as_view(
        template_name="console/password_reset.html",
        email_template_name="console/email/password_reset.txt",
        subject_template_name="console/email/password_reset_subject.txt",
        success_url=reverse_lazy("console:password_reset_done")), name="password_reset"),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(
        template_name="console/password_reset_done.html"), name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(
        template_name="console/password_reset_confirm.html",
        success_url=reverse_lazy("console:password_reset_complete")), name="password_reset_confirm"),
    path("password/reset/complete/", auth_views.PasswordResetCompleteView.as_view(
        template_name="console/password_reset_complete.html"), name="password_reset_complete"),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="console:home", permanent=False)),
    path("console/", include(auth)),
    path("console/", views.home, name="home"),
    path("console/brand.css", branding.brand_css, name="brand-css"),
    path("console/brand/logo", branding.brand_logo, name="brand-logo"),
    path("console/accounts/switch/", billing_views.switch_account, name="switch-account"),
    path("console/api-keys/", billing_views.api_keys, name="api-keys"),
    path("console/api-keys/<int:key_id>/revoke/", billing_views.api_key_revoke_view, name="api-key-revoke"),
    path("console/", include("billing.console_urls")),
    path("console/", include("invoicing.console_urls")),
    path("console/members/", member_views.members, name="members"),
    path("console/members/<int:membership_id>/role/", member_views.member_role, name="member-role"),
    path("console/members/<int:membership_id>/remove/", member_views.member_remove_view, name="member-remove"),
    path("console/members/invitations/<int:invitation_id>/revoke/", member_views.invitation_revoke_view,
         name="invitation-revoke"),
    path("console/invitations/<str:token>/", member_views.invitation_accept_view, name="invitation-accept"),
    path("console/portal/<str:token>/", member_views.portal_enter, name="portal-enter"),
    path("console/", include("payments.console_urls")),
]
