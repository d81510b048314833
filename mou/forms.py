"""Forms of the mou pages. They only shape input: the rules live in mou.services."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from agencies.choices import Action, RecordType
from agencies.models import Agency, StaffMember
from mou.choices import TermScope
from mou.models import MOU


class BootstrapMixin:
    """Bootstrap classes on every widget (labels and errors are rendered by the template)."""

    def _style(self) -> None:
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs.setdefault("class", css)


def signatories() -> Any:
    # Authorized signatories of every agency: a directory fact, like the agency list itself.
    return (
        StaffMember.objects.filter(is_signatory=True, active=True, user__is_active=True)
        .select_related("agency", "user")
        .order_by("agency__name", "user__last_name")
    )


class SignatoryChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: StaffMember) -> str:
        return f"{obj.agency.short_name}: {obj.full_name}"


class MOUForm(BootstrapMixin, forms.Form):
    """Title, purpose, dates, document, parties and (optionally) each party's signatory."""

    title = forms.CharField(max_length=200)
    purpose = forms.CharField(widget=forms.Textarea({"rows": 4}))
    effective_date = forms.DateField(widget=forms.DateInput({"type": "date"}))
    expiration_date = forms.DateField(
        required=False, widget=forms.DateInput({"type": "date"}), help_text="Empty: no end date."
    )
    document = forms.FileField(required=False, help_text="The signed agreement (PDF).")
    parties = forms.ModelMultipleChoiceField(
        queryset=Agency.objects.active(),
        help_text="The other agencies party to the MOU (your agency is always a party).",
        widget=forms.SelectMultiple({"size": 8}),
    )
    signatories = SignatoryChoiceField(
        queryset=StaffMember.objects.none(),
        required=False,
        help_text="At most one per party. A party without one may be signed by any of its "
        "authorized signatories.",
        widget=forms.SelectMultiple({"size": 8}),
    )

    def __init__(self, *args: Any, agency: Agency | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.agency = agency
        self.fields["signatories"].queryset = signatories()
        self._style()

    @classmethod
    def initial_for(cls, mou: MOU) -> dict[str, Any]:
        rows = list(mou.party_rows.all())
        return {
            "title": mou.title,
            "purpose": mou.purpose,
            "effective_date": mou.effective_date,
            "expiration_date": mou.expiration_date,
            "parties": [row.agency_id for row in rows],
            "signatories": [row.signatory_id for row in rows if row.signatory_id],
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        parties = list(data.get("parties") or [])
        if self.agency is not None and self.agency not in parties:
            parties.insert(0, self.agency)
        chosen: dict[int, StaffMember] = {}
        for signatory in data.get("signatories") or []:
            if signatory.agency not in parties:
                self.add_error(
                    "signatories",
                    f"{signatory.full_name} works for {signatory.agency.short_name}, which is "
                    "not a party.",
                )
            elif signatory.agency_id in chosen:
                self.add_error(
                    "signatories", f"Choose one signatory for {signatory.agency.short_name}."
                )
            chosen[signatory.agency_id] = signatory
        data["party_specs"] = [(agency, chosen.get(agency.pk)) for agency in parties]
        return data


class TermForm(BootstrapMixin, forms.Form):
    """One data-sharing term: provider → recipient, record type, fields, actions, scope."""

    provider = forms.ModelChoiceField(queryset=Agency.objects.none())
    recipient = forms.ModelChoiceField(queryset=Agency.objects.none())
    record_type = forms.ChoiceField(choices=RecordType.choices)
    shared_fields = forms.CharField(
        label="Fields shared",
        help_text="Field names separated by commas (see the list of valid fields per record "
        "type below).",
        widget=forms.Textarea({"rows": 2}),
    )
    actions = forms.MultipleChoiceField(
        choices=Action.choices,
        initial=[Action.VIEW],
        widget=forms.CheckboxSelectMultiple,
        help_text="View is required; add/change let the recipient write records of this type.",
    )
    scope = forms.ChoiceField(choices=TermScope.choices, initial=TermScope.ASSIGNED)

    def __init__(self, *args: Any, mou: MOU, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parties = Agency.objects.filter(pk__in=mou.party_rows.values("agency_id"))
        self.fields["provider"].queryset = parties
        self.fields["recipient"].queryset = parties
        self._style()

    def clean_shared_fields(self) -> list[str]:
        raw = self.cleaned_data["shared_fields"]
        names = [name for name in re.split(r"[\s,;]+", raw) if name]
        if not names:
            raise ValidationError("Name at least one field.")
        return names


class TerminateForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea({"rows": 3}),
        help_text="Recorded in the audit trail and shown to every party.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


# service field name -> form field name, where they differ
FORM_FIELD = {"fields": "shared_fields", "termination_reason": "reason"}


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError next to the fields it names."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, messages in error.message_dict.items():
        name = FORM_FIELD.get(name, name) if FORM_FIELD.get(name) in form.fields else name
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message if target else f"{name.replace('_', ' ')}: {message}")
