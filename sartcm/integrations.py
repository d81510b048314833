"""Pages where agency administrators manage their systems' access: service accounts, API keys
(shown once), rotation, revocation, and webhook subscriptions with their delivery log."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from agencies.choices import Role
from agencies.models import StaffMember
from agencies.querysets import staff_of
from sartcm import apikeys, audit
from sartcm.models import APIKey, AuditAction, WebhookEvent, WebhookSubscription
from sartcm.webhooks import new_secret, validate_events


def _admin(request: HttpRequest) -> StaffMember:
    staff = staff_of(request.user)
    if staff is None or not staff.is_admin:
        raise Http404  # existence of the page is not a secret, but non-admins get nothing here
    return staff


class ServiceAccountForm(forms.Form):
    name = forms.CharField(
        max_length=80, help_text="The system, e.g. 'Offender management system'."
    )
    roles = forms.MultipleChoiceField(
        choices=[(r.value, r.label) for r in Role if r != Role.AGENCY_ADMIN],
        widget=forms.CheckboxSelectMultiple,
    )


class KeyForm(forms.Form):
    service_account = forms.ModelChoiceField(queryset=StaffMember.objects.none())
    name = forms.CharField(max_length=100)
    scopes = forms.MultipleChoiceField(
        choices=[(s, s) for s in apikeys.valid_scopes()], widget=forms.CheckboxSelectMultiple
    )
    expires_at = forms.DateTimeField(required=False, help_text="Optional, e.g. 2027-12-31 23:59.")

    def __init__(self, *args: Any, agency_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # related-field choices restricted to the admin's own agency's service accounts
        self.fields["service_account"].queryset = StaffMember.objects.filter(
            agency_id=agency_id, title="Service account", active=True
        )


class WebhookForm(forms.Form):
    name = forms.CharField(max_length=100)
    url = forms.URLField(max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )


def _apply_errors(form: forms.Form, error: ValidationError) -> None:
    for field, msgs in error.message_dict.items():
        form.add_error(field if field in form.fields else None, msgs)


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    staff = _admin(request)
    context = {
        "keys": apikeys.keys_visible_to(request.user).select_related("user"),
        "accounts": StaffMember.objects.filter(
            agency=staff.agency, title="Service account"
        ).select_related("user"),
        "webhooks": WebhookSubscription.objects.filter(agency=staff.agency).prefetch_related(
            "deliveries"
        ),
        "account_form": ServiceAccountForm(),
        "key_form": KeyForm(agency_id=staff.agency_id),
        "webhook_form": WebhookForm(),
    }
    return render(request, "integrations/overview.html", context)


@login_required
@require_POST
def create_account(request: HttpRequest) -> HttpResponse:
    _admin(request)
    form = ServiceAccountForm(request.POST)
    if form.is_valid():
        try:
            user = apikeys.create_service_account(
                request.user, form.cleaned_data["name"], form.cleaned_data["roles"]
            )
            messages.success(
                request, f"Service account {user.username} created. Issue it a key below."
            )
            return redirect("integrations")
        except ValidationError as error:
            _apply_errors(form, error)
    return render(
        request,
        "integrations/form.html",
        {"form": form, "title": "New service account"},
        status=400,
    )


@login_required
@require_POST
def create_key(request: HttpRequest) -> HttpResponse:
    staff = _admin(request)
    form = KeyForm(request.POST, agency_id=staff.agency_id)
    if form.is_valid():
        try:
            key, full = apikeys.issue_key(
                request.user,
                form.cleaned_data["service_account"].user,
                form.cleaned_data["name"],
                form.cleaned_data["scopes"],
                form.cleaned_data["expires_at"],
            )
            return render(
                request, "integrations/secret.html", {"what": f"API key {key.name}", "secret": full}
            )
        except ValidationError as error:
            _apply_errors(form, error)
    return render(
        request, "integrations/form.html", {"form": form, "title": "New API key"}, status=400
    )


def _key(request: HttpRequest, pk: int) -> APIKey:
    key = apikeys.keys_visible_to(request.user).filter(pk=pk).first()
    if key is None:
        raise Http404
    return key


@login_required
@require_POST
def rotate(request: HttpRequest, pk: int) -> HttpResponse:
    _admin(request)
    try:
        new, full = apikeys.rotate_key(request.user, _key(request, pk))
    except PermissionDenied:
        raise Http404 from None
    return render(
        request,
        "integrations/secret.html",
        {"what": f"API key {new.name} (rotated; the old key works for 24 hours)", "secret": full},
    )


@login_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    _admin(request)
    try:
        apikeys.revoke_key(request.user, _key(request, pk), request.POST.get("reason", ""))
        messages.success(request, "Key revoked.")
    except ValidationError as error:
        messages.error(request, " ".join(error.message_dict.get("reason", error.messages)))
    except PermissionDenied:
        raise Http404 from None
    return redirect("integrations")


@login_required
@require_POST
def create_webhook(request: HttpRequest) -> HttpResponse:
    staff = _admin(request)
    form = WebhookForm(request.POST)
    if form.is_valid():
        try:
            validate_events(form.cleaned_data["events"])
            with transaction.atomic():
                secret = new_secret()
                sub = WebhookSubscription.objects.create(
                    agency=staff.agency,
                    name=form.cleaned_data["name"],
                    url=form.cleaned_data["url"],
                    secret=secret,
                    events=form.cleaned_data["events"],
                    created_by=request.user,
                )
                audit.record(
                    request.user, AuditAction.CREATE, sub, detail=f"webhook for {sub.events}"
                )
            return render(
                request,
                "integrations/secret.html",
                {"what": f"signing secret for webhook {sub.name}", "secret": secret},
            )
        except ValidationError as error:
            _apply_errors(form, error)
    return render(
        request, "integrations/form.html", {"form": form, "title": "New webhook"}, status=400
    )


@login_required
@require_POST
def deactivate_webhook(request: HttpRequest, pk: int) -> HttpResponse:
    staff = _admin(request)
    with transaction.atomic():
        sub = WebhookSubscription.objects.filter(pk=pk, agency=staff.agency).first()
        if sub is None:
            raise Http404
        WebhookSubscription.objects.filter(pk=sub.pk).update(active=False)
        audit.record(request.user, AuditAction.CHANGE, sub, detail="webhook deactivated")
    messages.success(request, "Webhook deactivated.")
    return redirect("integrations")


urlpatterns = [
    path("", overview, name="integrations"),
    path("accounts/new", create_account, name="integrations-account-new"),
    path("keys/new", create_key, name="integrations-key-new"),
    path("keys/<int:pk>/rotate", rotate, name="integrations-key-rotate"),
    path("keys/<int:pk>/revoke", revoke, name="integrations-key-revoke"),
    path("webhooks/new", create_webhook, name="integrations-webhook-new"),
    path(
        "webhooks/<int:pk>/deactivate", deactivate_webhook, name="integrations-webhook-deactivate"
    ),
]
