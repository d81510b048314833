"""Forms for entering assessments, overrides, voids and the case plan.

The assessment form is built from the instrument's definition: one field per answerable
input (computed items such as Static-99R's age at release are shown, not asked). The scorer
validates every answer, so each message names its item and lists the allowed answers.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone

from agencies.models import Agency, StaffMember
from cases.choices import GoalStatus
from cases.models import Case
from cases.scoring import ScoreResult, input_items, level_order, preview_score
from cases.scoring.engine import CHILD_VICTIM, COMPUTED_TYPES, has_child_victim, item_type, signed
from cases.services.assessments import release_date_for
from protocols.models import Instrument

FIELD_PREFIX = "item_"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class BootstrapMixin:
    """Bootstrap classes and aria-describedby (help text, errors) on every widget."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()

    def style(self) -> None:
        # Only errors already found: styling must not trigger validation.
        found = getattr(self, "_errors", None) or {}
        for name, field in self.fields.items():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, forms.RadioSelect):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs["class"] = f"{css} is-invalid" if name in found else css
            described = [f"id_{name}_help"] if field.help_text else []
            if name in found:
                described.append(f"id_{name}_errors")
            if described:
                widget.attrs["aria-describedby"] = " ".join(described)

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        self.style()


def field_name(code: str) -> str:
    return f"{FIELD_PREFIX}{code}"


class AssessmentForm(BootstrapMixin, forms.Form):
    """Assessment date, assessor, (for age-based instruments) release date, and the answers."""

    assessed_on = forms.DateField(label="Assessment date", widget=DateInput())
    assessor = forms.ModelChoiceField(queryset=StaffMember.objects.none(), label="Assessor")

    def __init__(
        self,
        *args: Any,
        case: Case,
        instrument: Instrument,
        assessors: Any,
        user_staff: StaffMember | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.case = case
        self.instrument = instrument
        self.result: ScoreResult | None = None
        self.fields["assessed_on"].initial = timezone.localdate()
        self.fields["assessor"].queryset = assessors
        self.fields["assessor"].initial = user_staff.pk if user_staff else None
        definition = instrument.definition
        items = definition.get("items", [])
        self.computed_items = [i for i in items if item_type(i) in COMPUTED_TYPES]
        if self.computed_items:
            self.fields["release_date"] = forms.DateField(
                label="Release date used for the age at release",
                required=False,
                widget=DateInput(),
                initial=release_date_for(case),
                help_text="Defaults to the case's release date, else its expected release date.",
            )
        conditional = any(i.get("condition") == CHILD_VICTIM for i in items)
        self.child_victim = has_child_victim(case.offender) if conditional else False
        self.skipped: list[dict[str, Any]] = []
        self.item_fields: list[str] = []
        for item in input_items(definition):
            if item.get("condition") == CHILD_VICTIM and not self.child_victim:
                self.skipped.append(item)
                continue
            name = field_name(item["code"])
            label = item.get("label", item["code"])
            if item.get("number") is not None:
                label = f"{item['number']}. {label}"
            if item_type(item) == "count":
                ranges = "; ".join(
                    f"{r['min']}{'+' if r.get('max') is None else ('' if r['max'] == r['min'] else '–' + str(r['max']))}"
                    f" → {signed(r['points'])}"
                    for r in item["ranges"]
                )
                self.fields[name] = forms.CharField(
                    label=label,
                    required=False,
                    widget=forms.NumberInput(attrs={"min": 0, "step": 1, "inputmode": "numeric"}),
                    help_text=f"A whole number ({ranges}).",
                )
            else:
                self.fields[name] = forms.ChoiceField(
                    label=label,
                    required=False,
                    widget=forms.RadioSelect,
                    choices=[
                        (str(a["value"]), f"{a.get('label', a['value'])} ({signed(a['points'])})")
                        for a in item.get("answers", [])
                    ],
                    help_text=item.get("help", ""),
                )
            self.item_fields.append(name)
        self.style()

    @property
    def item_bound_fields(self) -> list[Any]:
        return [self[name] for name in self.item_fields]

    def answers(self, data: Any = None) -> dict[str, Any]:
        """Non-blank answers by item code (from cleaned data, or raw data for a preview)."""
        source = data if data is not None else self.cleaned_data
        answers: dict[str, Any] = {}
        for name in self.item_fields:
            value = source.get(name)
            if value not in (None, ""):
                answers[name[len(FIELD_PREFIX) :]] = value
        return answers

    def release_date(self, data: Any = None) -> date | None:
        if not self.computed_items:
            return None
        if data is not None:
            raw = data.get("release_date")
            try:
                return date.fromisoformat(raw) if raw else release_date_for(self.case)
            except ValueError:
                return release_date_for(self.case)
        return self.cleaned_data.get("release_date") or release_date_for(self.case)

    def preview(self) -> ScoreResult:
        """The running score of whatever has been entered so far (no validation errors)."""
        return preview_score(
            self.instrument,
            self.answers(self.data),
            offender=self.case.offender,
            release_date=self.release_date(self.data),
            child_victim=self.child_victim,
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        result = preview_score(
            self.instrument,
            self.answers(cleaned),
            offender=self.case.offender,
            release_date=self.release_date(),
            child_victim=self.child_victim,
        )
        self.result = result
        for code, messages in result.errors.items():
            target = field_name(code)
            for message in messages:
                self.add_error(target if target in self.fields else None, message)
        return cleaned

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        """Place a service ValidationError's messages next to their fields."""
        for key, messages in errors.items():
            target = key if key in self.fields else field_name(key)
            for message in messages:
                self.add_error(target if target in self.fields else None, message)


class OverrideForm(BootstrapMixin, forms.Form):
    """A supervisor's final level with the reason for departing from the computed one."""

    final_level = forms.ChoiceField(label="Final level")
    override_reason = forms.CharField(
        label="Reason for the override", widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, instrument: Instrument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["final_level"].choices = [
            (level, level) for level in level_order(instrument.definition)
        ]
        self.style()


class VoidForm(BootstrapMixin, forms.Form):
    void_reason = forms.CharField(
        label="Reason for voiding", widget=forms.Textarea(attrs={"rows": 3})
    )


class GoalForm(BootstrapMixin, forms.Form):
    """A case-plan goal (responsible agency: the lead agency or an agency on the case team)."""

    need = forms.CharField(
        label="Need", max_length=60, required=False, help_text="e.g. stable2007.sex_as_coping"
    )
    goal = forms.CharField(label="Goal", max_length=300)
    interventions = forms.CharField(
        label="Interventions", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    responsible_agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(), label="Responsible agency"
    )
    responsible_staff = forms.ModelChoiceField(
        queryset=StaffMember.objects.none(), label="Responsible staff member", required=False
    )
    target_date = forms.DateField(label="Target date", required=False, widget=DateInput())
    status = forms.ChoiceField(label="Status", choices=GoalStatus.choices, initial=GoalStatus.OPEN)

    def __init__(
        self, *args: Any, agencies: Any, staff: Any, editing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["responsible_agency"].queryset = agencies
        self.fields["responsible_staff"].queryset = staff
        if editing:
            del self.fields["need"]
        self.style()

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for key, messages in errors.items():
            for message in messages:
                self.add_error(key if key in self.fields else None, message)


class ProgressNoteForm(BootstrapMixin, forms.Form):
    written_on = forms.DateField(label="Date", widget=DateInput(), required=False)
    note = forms.CharField(label="Progress note", widget=forms.Textarea(attrs={"rows": 3}))
