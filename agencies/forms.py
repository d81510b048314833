"""Forms for the staff directory and specialized training."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from agencies.choices import Role
from agencies.models import StaffMember, TrainingCourse


class BootstrapFormMixin:
    """Bootstrap 5 classes on every widget; `is-invalid` on fields with errors."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self.style_fields()

    def style_fields(self) -> None:
        """Add the Bootstrap class each widget needs (idempotent: call again after
        replacing a field)."""
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            classes = widget.attrs.get("class", "").split()
            if css not in classes:
                widget.attrs["class"] = " ".join([*classes, css])

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            if name in self.fields:  # type: ignore[attr-defined]
                widget = self.fields[name].widget  # type: ignore[attr-defined]
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"


def apply_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError next to the fields it names (others: form-wide)."""
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for field, errors in exc.message_dict.items():
        for message in errors:
            if field in form.fields:
                form.add_error(field, message)
            else:
                form.add_error(
                    None, message if field == NON_FIELD_ERRORS else f"{field}: {message}"
                )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class TrainingCompletionForm(BootstrapFormMixin, forms.Form):
    """Record that someone completed a course, with evidence."""

    staff = forms.ModelChoiceField(queryset=StaffMember.objects.none(), label="Staff member")
    course = forms.ModelChoiceField(queryset=TrainingCourse.objects.filter(active=True))
    completed_on = forms.DateField(widget=DateInput(), label="Completed on")
    evidence = forms.FileField(
        required=False,
        help_text="Certificate or attendance record (PDF or image, at most 10 MB).",
    )
    evidence_note = forms.CharField(max_length=200, required=False, label="Evidence note")

    def __init__(self, *args: Any, staff_choices: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = staff_choices
        if staff_choices.count() == 1:
            self.fields["staff"].initial = staff_choices.first()


class TrainingCourseForm(BootstrapFormMixin, forms.ModelForm):
    """A course in the statewide training catalogue."""

    class Meta:
        model = TrainingCourse
        fields = ["title", "description", "hours", "provider", "active"]


class TrainingRequirementForm(BootstrapFormMixin, forms.Form):
    """A role of my agency must complete a course and renew it."""

    role = forms.ChoiceField(choices=Role.choices)
    course = forms.ModelChoiceField(queryset=TrainingCourse.objects.filter(active=True))
    renewal_months = forms.IntegerField(
        min_value=0, initial=12, help_text="0: complete once, never expires."
    )
    grace_days = forms.IntegerField(
        min_value=0, initial=30, help_text="Days after joining to complete it."
    )


__all__ = [
    "BootstrapFormMixin",
    "DateInput",
    "TrainingCompletionForm",
    "TrainingCourseForm",
    "TrainingRequirementForm",
    "apply_service_errors",
]
