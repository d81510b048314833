"""Forms for contacts, treatment and polygraph. Mobile first: native input types, big touch
targets (Bootstrap `form-control-lg`, button-style radios), errors rendered next to fields.

The forms only collect input; the services in cases/services/ validate the rules and write.
`apply_service_errors` puts a service's ValidationError next to the fields it names.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Case, Value, When
from django.utils import timezone

from agencies.choices import AgencyKind
from agencies.models import Agency
from cases.choices import (
    ContactOutcome,
    ContactType,
    DischargeStatus,
    PolygraphResult,
    PolygraphType,
    Rating,
)
from cases.services.treatment import first_of_month

LG = {"class": "form-control form-control-lg"}
SELECT_LG = {"class": "form-select form-select-lg"}


class ButtonRadioSelect(forms.RadioSelect):
    """Radios shown as large toggle buttons (one tap, easy on a phone): Bootstrap `btn-check`
    inputs, each followed by its button label in templates/cases/contacts/_field.html."""

    def __init__(self, attrs: dict[str, Any] | None = None, choices: Any = ()) -> None:
        super().__init__({"class": "btn-check", **(attrs or {})}, choices)

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        if option["index"] not in (0, "0"):
            option["attrs"].pop("autofocus", None)  # only the first button takes focus
        return option


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Attach a service's {field: message} errors to the form (unknown fields: form-wide)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)
    if isinstance(form, AccessibleErrorsMixin):
        form.mark_invalid()


# Fields that are not in the sharing vocabulary themselves but follow one that is.
FOLLOWS = {"flagged": "disclosures"}


def limit_fields(form: forms.Form, allowed: Any) -> None:
    """Drop the fields the user's agency may not see or write (field allow-lists)."""
    for name in list(form.fields):
        if FOLLOWS.get(name, name) not in allowed:
            del form.fields[name]


class AccessibleErrorsMixin:
    """Marks invalid widgets for Bootstrap and screen readers (is-invalid, aria-invalid and
    aria-describedby pointing at the error shown next to the field)."""

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        self.mark_invalid()

    def mark_invalid(self) -> None:
        invalid = [name for name in self.errors if name in self.fields]  # type: ignore[attr-defined]
        if invalid:
            # Focus the first field to fix rather than the first field of the form.
            for field in self.fields.values():  # type: ignore[attr-defined]
                field.widget.attrs.pop("autofocus", None)
            self.fields[invalid[0]].widget.attrs["autofocus"] = True  # type: ignore[attr-defined]
        for name in self.errors:  # type: ignore[attr-defined]
            field = self.fields.get(name)  # type: ignore[attr-defined]
            if field is None:
                continue
            attrs = field.widget.attrs
            classes = attrs.get("class", "").split()
            if "is-invalid" not in classes:
                attrs["class"] = " ".join([*classes, "is-invalid"])
            attrs["aria-invalid"] = "true"
            attrs["aria-describedby"] = f"id_{name}-error"


def local_now_input() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


class SupervisionContactForm(AccessibleErrorsMixin, forms.Form):
    """Log a contact in a few taps: type, face to face, when (defaults to now), where, outcome."""

    contact_type = forms.ChoiceField(
        label="Type of contact",
        choices=ContactType.choices,
        widget=ButtonRadioSelect(attrs={"autofocus": True}),
    )
    face_to_face = forms.BooleanField(
        label="Face to face",
        required=False,
        initial=True,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input", "role": "switch"}),
    )
    contact_at = forms.DateTimeField(
        label="Date and time",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", **LG}, format="%Y-%m-%dT%H:%M"),
    )
    location = forms.CharField(
        label="Location",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={**LG, "autocomplete": "off", "placeholder": "e.g. residence"}
        ),
    )
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=ContactOutcome.choices,
        initial=ContactOutcome.COMPLETED,
        widget=ButtonRadioSelect(),
    )
    notes = forms.CharField(
        label="Notes",
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 4}),
    )

    def __init__(self, *args: Any, allowed: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("contact_at", local_now_input())
        super().__init__(*args, **kwargs)
        if allowed is not None:
            limit_fields(self, allowed)

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class MonthInput(forms.DateInput):
    input_type = "month"

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, date):
            return value.strftime("%Y-%m")
        return value


class MonthField(forms.Field):
    """A month (`<input type="month">`, 'YYYY-MM'), cleaned to its first day."""

    widget = MonthInput

    def to_python(self, value: Any) -> date | None:
        if value in self.empty_values:
            return None
        month = first_of_month(value)
        if month is None:
            raise ValidationError("Enter a month as YYYY-MM.", code="invalid")
        return month


class TreatmentEnrollmentForm(AccessibleErrorsMixin, forms.Form):
    """Enroll the person with a treatment provider."""

    provider = forms.ModelChoiceField(
        label="Provider agency",
        queryset=Agency.objects.none(),
        widget=forms.Select(attrs=SELECT_LG),
    )
    program = forms.CharField(
        label="Program", max_length=200, widget=forms.TextInput(attrs={**LG, "autofocus": True})
    )
    intake_date = forms.DateField(
        label="Intake date", widget=forms.DateInput(attrs={"type": "date", **LG})
    )
    expected_completion = forms.DateField(
        label="Expected completion",
        required=False,
        widget=forms.DateInput(attrs={"type": "date", **LG}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The agency directory is visible to all staff; treatment providers are listed first.
        providers_first = Case(
            When(kind=AgencyKind.TREATMENT_PROVIDER, then=Value(0)), default=Value(1)
        )
        self.fields["provider"].queryset = (  # type: ignore[attr-defined]
            Agency.objects.restrict(user, "view").active().order_by(providers_first, "name")
        )


class DischargeForm(AccessibleErrorsMixin, forms.Form):
    """Record how treatment ended."""

    discharge_status = forms.ChoiceField(
        label="Discharge status",
        choices=[c for c in DischargeStatus.choices if c[0] != DischargeStatus.ACTIVE],
        widget=ButtonRadioSelect(),
    )
    discharged_on = forms.DateField(
        label="Discharged on", widget=forms.DateInput(attrs={"type": "date", **LG})
    )


class TreatmentReportForm(AccessibleErrorsMixin, forms.Form):
    """The provider's monthly progress report."""

    month = MonthField(
        label="Month reported on", widget=MonthInput(attrs={**LG, "autofocus": True})
    )
    sessions_scheduled = forms.IntegerField(
        label="Sessions scheduled",
        min_value=0,
        max_value=100,
        widget=forms.NumberInput(attrs={**LG, "inputmode": "numeric"}),
    )
    sessions_attended = forms.IntegerField(
        label="Sessions attended",
        min_value=0,
        max_value=100,
        widget=forms.NumberInput(attrs={**LG, "inputmode": "numeric"}),
    )
    participation = forms.ChoiceField(
        label="Participation", choices=Rating.choices, widget=ButtonRadioSelect()
    )
    progress = forms.ChoiceField(
        label="Progress", choices=Rating.choices, widget=ButtonRadioSelect()
    )
    concerns = forms.CharField(
        label="Concerns",
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 4}),
    )


class PolygraphExamForm(AccessibleErrorsMixin, forms.Form):
    """A polygraph exam and what it disclosed."""

    exam_type = forms.ChoiceField(
        label="Exam type",
        choices=PolygraphType.choices,
        widget=ButtonRadioSelect(attrs={"autofocus": True}),
    )
    exam_date = forms.DateField(
        label="Exam date", widget=forms.DateInput(attrs={"type": "date", **LG})
    )
    examiner = forms.CharField(label="Examiner", max_length=120, widget=forms.TextInput(attrs=LG))
    result = forms.ChoiceField(
        label="Result", choices=PolygraphResult.choices, widget=ButtonRadioSelect()
    )
    disclosures = forms.CharField(
        label="Disclosures",
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 4}),
    )
    flagged = forms.BooleanField(
        label="Flag disclosures for follow-up",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input", "role": "switch"}),
    )
    notes = forms.CharField(
        label="Notes",
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )

    def __init__(self, *args: Any, allowed: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if allowed is not None:
            limit_fields(self, allowed)
