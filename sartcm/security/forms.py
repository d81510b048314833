"""Forms of the logon and account pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm

SYSTEM_USE_NOTICE = (
    "You are accessing a restricted information system that holds criminal justice "
    "information. It is for authorized use only. Use of this system is monitored, recorded "
    "and subject to audit. Unauthorized use, or use beyond your authorization, is prohibited "
    "and may result in disciplinary action and civil and criminal penalties. By logging in you "
    "consent to this monitoring and recording."
)


class BootstrapMixin:
    """Bootstrap 5 classes on every widget, and aria-invalid on fields with errors."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # type: ignore[attr-defined]
            checkbox = isinstance(field.widget, forms.CheckboxInput)
            field.widget.attrs.setdefault(
                "class", "form-check-input" if checkbox else "form-control"
            )

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            if name in self.fields:  # type: ignore[attr-defined]
                attrs = self.fields[name].widget.attrs  # type: ignore[attr-defined]
                attrs["aria-invalid"] = "true"
                attrs["class"] = attrs.get("class", "") + " is-invalid"


class LogonForm(BootstrapMixin, AuthenticationForm):
    """Username, password and the acknowledged system-use banner (CJIS AC-8).

    Without the acknowledgement the credentials are not even checked, so the attempt neither
    logs anyone in nor counts towards a lockout.
    """

    consent = forms.BooleanField(
        required=True,
        label="I understand and consent",
        error_messages={
            "required": "You must acknowledge the system-use notice before logging in."
        },
    )

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["password"].widget.attrs["maxlength"] = 128

    def clean(self) -> dict[str, Any]:
        if not self.cleaned_data.get("consent"):
            return self.cleaned_data
        return super().clean()


class CodeForm(BootstrapMixin, forms.Form):
    """A 6-digit authenticator code, or one of the recovery codes."""

    code = forms.CharField(
        label="Authentication code",
        max_length=32,
        help_text="The 6-digit code from your authenticator app, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


class EnrolForm(BootstrapMixin, forms.Form):
    """The first code from a newly added authenticator, proving it was set up."""

    code = forms.CharField(
        label="Code from your app",
        max_length=6,
        min_length=6,
        help_text="Enter the 6-digit code your app shows for SARTCM.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9]{6}",
                "autofocus": True,
            }
        ),
    )


class ChangePasswordForm(BootstrapMixin, PasswordChangeForm):
    """Django's password change (old password, new twice, every validator)."""


class ReviewSignOffForm(BootstrapMixin, forms.Form):
    """The administrator's yearly attestation."""

    attest = forms.BooleanField(
        required=True,
        label="I reviewed every account listed here: each person still needs access, with these roles.",
        error_messages={"required": "Confirm that you reviewed every account."},
    )
    note = forms.CharField(
        label="Notes (changes made, follow-ups)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
