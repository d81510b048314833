"""Security pages, under /security/ (namespace `security`). The logon page itself is /login/."""

from __future__ import annotations

from django.urls import path

from sartcm.security import views

app_name = "security"
urlpatterns = [
    path("login/verify/", views.VerifyView.as_view(), name="login-verify"),
    path("mfa/setup/", views.EnrolView.as_view(), name="enrol"),
    path("mfa/recovery-codes/", views.RecoveryCodesView.as_view(), name="recovery-codes"),
    path("mfa/", views.MFAView.as_view(), name="mfa"),
    path("password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("sessions/", views.MySessionsView.as_view(), name="sessions"),
    path("sessions/<int:pk>/end/", views.EndMySessionView.as_view(), name="session-end"),
    path("accounts/", views.AccountReviewView.as_view(), name="accounts"),
    path("accounts/locked/", views.LockedAccountsView.as_view(), name="locked"),
    path("accounts/<int:user_id>/", views.AccountDetailView.as_view(), name="account"),
    path(
        "accounts/<int:user_id>/sessions/<int:pk>/end/",
        views.AccountSessionEndView.as_view(),
        name="account-session-end",
    ),
    path(
        "accounts/<int:user_id>/<slug:action>/",
        views.AccountActionView.as_view(),
        name="account-action",
    ),
]
