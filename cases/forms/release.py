"""Forms for release planning and board review.

Plain forms (not ModelForms): the services write, with a version check, so a form never
touches the instance. Every related-field choice comes from a restricted queryset, and the
plan form drops the fields the user may not change.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms import formset_factory

from agencies.choices import AgencyKind, Role
from agencies.models import Agency, StaffMember
from cases.choices import Decision, HousingStatus, Vote
from cases.models import BoardReview, Case, ReleasePlan
from cases.services import release as svc
from protocols.choices import SupervisionLevel

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
TEXTAREA = {"rows": 3}


def bootstrap(form: forms.BaseForm) -> None:
    """Bootstrap 5 classes on every widget (errors are rendered next to each field)."""
    for name, bound in form.fields.items():
        widget = bound.widget
        if isinstance(widget, forms.HiddenInput):
            continue
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
            css = ""
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        classes = widget.attrs.get("class", "").split()
        if css and css not in classes:
            classes.append(css)
        # `_errors`, not `errors`: asking for errors here would validate the form before a
        # subclass has set its restricted querysets.
        if form._errors and form._errors.get(name):
            widget.attrs["aria-invalid"] = "true"
            if "is-invalid" not in classes:
                classes.append("is-invalid")
        if classes:
            widget.attrs["class"] = " ".join(classes)


class BootstrapForm(forms.Form):
    """A form whose widgets carry Bootstrap classes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap(self)

    def full_clean(self) -> None:
        super().full_clean()
        bootstrap(self)


class VersionForm(BootstrapForm):
    """The version a workflow action is based on (optimistic concurrency)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class PlanCreateForm(BootstrapForm):
    """Start a release plan for a case the user may plan for."""

    case = forms.ModelChoiceField(queryset=Case.objects.none(), label="Case")
    release_date = forms.DateField(widget=DATE, label="Expected release date")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case"].queryset = (
            Case.objects.restrict_record(user, "add", svc.RT.RELEASE_PLANS)
            .filter(status__in=["incarcerated", "pre_release"])
            .select_related("offender")
            .order_by("expected_release_date", "case_number")
        )
        self.fields["case"].label_from_instance = lambda c: c.case_number


TS_FIELDS = {f"ts_{key}": key for key in svc.TRANSITION_SERVICES}


class PlanForm(BootstrapForm):
    """Every component of the plan on one long form, in fieldsets (see the template)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    release_date = forms.DateField(widget=DATE, label="Expected release date")
    # Residence
    residence_address = forms.CharField(max_length=300, required=False, label="Proposed address")
    residence_city = forms.CharField(max_length=100, required=False, label="City")
    residence_latitude = forms.DecimalField(
        max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False,
        label="Latitude", help_text="Decimal degrees, for the residence-restriction check.",
    )  # fmt: skip
    residence_longitude = forms.DecimalField(
        max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False,
        label="Longitude",
    )  # fmt: skip
    housing_status = forms.ChoiceField(
        choices=[("", "—")] + HousingStatus.choices, required=False, label="Housing status"
    )
    landlord = forms.CharField(max_length=200, required=False)
    # Treatment, employment, transport, support
    treatment_referral = forms.CharField(max_length=300, required=False)
    treatment_provider = forms.ModelChoiceField(queryset=Agency.objects.none(), required=False)
    treatment_intake_date = forms.DateField(widget=DATE, required=False, label="Intake appointment")
    employment = forms.CharField(max_length=300, required=False)
    income_source = forms.CharField(max_length=200, required=False, label="Income source")
    transportation = forms.CharField(max_length=300, required=False)
    support_network = forms.CharField(widget=forms.Textarea(attrs=TEXTAREA), required=False)
    # Victim safety
    exclusion_zones = forms.CharField(widget=forms.Textarea(attrs=TEXTAREA), required=False)
    notification_wishes = forms.CharField(
        widget=forms.Textarea(attrs=TEXTAREA),
        required=False,
        help_text="What victims asked to be told, and how (or that they declined).",
    )
    # Transition services
    ts_id = forms.CharField(max_length=200, required=False, label=svc.TRANSITION_SERVICES["id"])
    ts_benefits = forms.CharField(
        max_length=200, required=False, label=svc.TRANSITION_SERVICES["benefits"]
    )
    ts_medication = forms.CharField(
        max_length=200, required=False, label=svc.TRANSITION_SERVICES["medication"]
    )
    ts_first_appointments = forms.CharField(
        max_length=200, required=False, label=svc.TRANSITION_SERVICES["first_appointments"]
    )
    pre_registered = forms.BooleanField(required=False, label="Pre-registered with the registry")
    # Supervision team
    supervision_agency = forms.ModelChoiceField(queryset=Agency.objects.none(), required=False)
    supervision_officer = forms.ModelChoiceField(
        queryset=StaffMember.objects.none(), required=False
    )

    def __init__(self, *args: Any, user: Any, plan: ReleasePlan, **kwargs: Any) -> None:
        self.plan = plan
        kwargs.setdefault("initial", self.initial_for(plan))
        super().__init__(*args, **kwargs)
        agencies = Agency.objects.restrict(user, "view").active()
        self.fields["treatment_provider"].queryset = agencies.filter(
            kind=AgencyKind.TREATMENT_PROVIDER
        )
        self.fields["supervision_agency"].queryset = agencies.filter(
            kind__in=[AgencyKind.COMMUNITY_SUPERVISION, AgencyKind.CORRECTIONS]
        )
        # Staff choices come from the user's own directory view (restricted), plus the
        # officer already on the plan so an edit never silently drops them.
        officers = (
            StaffMember.objects.restrict(user, "view").active().with_role(Role.SUPERVISION_OFFICER)
        )
        if plan.supervision_officer_id:
            officers = officers | StaffMember.objects.filter(pk=plan.supervision_officer_id)
        self.fields["supervision_officer"].queryset = officers.select_related("user", "agency")
        self.condition_fields: list[tuple[Any, str, str]] = []
        chosen = {pc.condition_id: pc.details for pc in plan.conditions.all()}
        for condition in svc.conditions_in_force(plan.case):
            key = f"cond_{condition.pk}"
            self.fields[key] = forms.BooleanField(
                required=False, label=condition.title, initial=condition.pk in chosen,
                help_text=condition.text,
            )  # fmt: skip
            self.fields[f"{key}_details"] = forms.CharField(
                max_length=300, required=False, label=f"Details for “{condition.title}”",
                initial=chosen.get(condition.pk, ""),
            )  # fmt: skip
            self.condition_fields.append((condition, key, f"{key}_details"))
        self.manual_items: list[tuple[svc.ChecklistEntry, str]] = []
        for entry in svc.evaluate_checklist(plan):
            if entry.manual:
                key = f"check_{entry.code}"
                self.fields[key] = forms.BooleanField(
                    required=False, label=entry.text, initial=entry.done
                )
                self.manual_items.append((entry, key))
        writable = svc.plan_fields_writable(user, plan)
        for name in list(self.fields):
            if name == "version":
                continue
            if self.source_of(name) not in writable:
                del self.fields[name]
        self.condition_fields = [c for c in self.condition_fields if c[1] in self.fields]
        self.manual_items = [m for m in self.manual_items if m[1] in self.fields]
        bootstrap(self)

    FIELDSETS = (
        ("Release", ("release_date",)),
        (
            "Residence",
            (
                "residence_address",
                "residence_city",
                "residence_latitude",
                "residence_longitude",
                "housing_status",
                "landlord",
            ),
        ),
        ("Treatment", ("treatment_referral", "treatment_provider", "treatment_intake_date")),
        ("Employment and income", ("employment", "income_source")),
        ("Transportation and support", ("transportation", "support_network")),
        ("Victim safety", ("exclusion_zones", "notification_wishes")),
        ("Transition services", tuple(TS_FIELDS)),
        ("Registration", ("pre_registered",)),
        ("Supervision team", ("supervision_agency", "supervision_officer")),
    )

    def fieldsets(self) -> list[tuple[str, list[Any]]]:
        """(legend, bound fields) for the fields this user may change, in form order."""
        return [
            (legend, [self[name] for name in names if name in self.fields])
            for legend, names in self.FIELDSETS
            if any(name in self.fields for name in names)
        ]

    def condition_rows(self) -> list[tuple[Any, Any, Any]]:
        return [(c, self[key], self[details]) for c, key, details in self.condition_fields]

    def manual_rows(self) -> list[Any]:
        return [self[key] for _, key in self.manual_items]

    @staticmethod
    def source_of(name: str) -> str:
        if name in TS_FIELDS:
            return "transition_services"
        if name.startswith("cond_"):
            return "special_conditions"
        if name.startswith("check_"):
            return "checklist"
        return name

    @staticmethod
    def initial_for(plan: ReleasePlan) -> dict[str, Any]:
        initial = {name: getattr(plan, name) for name in svc.PLAN_CONTENT_FIELDS}
        initial["version"] = plan.version
        services = plan.transition_services or {}
        for field_name, key in TS_FIELDS.items():
            initial[field_name] = services.get(key, "")
        return initial

    def changes(self) -> dict[str, Any]:
        """The plan fields this form changed (only fields the user may write are present)."""
        out: dict[str, Any] = {}
        for name in svc.PLAN_CONTENT_FIELDS:
            if name == "transition_services" or name not in self.fields:
                continue
            if name in self.changed_data:
                out[name] = self.cleaned_data[name]
        if any(name in self.fields and name in self.changed_data for name in TS_FIELDS):
            out["transition_services"] = {
                key: self.cleaned_data.get(name, "") for name, key in TS_FIELDS.items()
            }
        if "housing_status" in out and out["housing_status"] is None:
            out["housing_status"] = ""
        return out

    def chosen_conditions(self) -> list[tuple[Any, str]] | None:
        """The catalogue conditions ticked, or None when the user did not change them."""
        if not self.condition_fields:
            return None
        keys = {k for _, a, b in self.condition_fields for k in (a, b)}
        if not keys & set(self.changed_data):
            return None
        return [
            (condition, self.cleaned_data.get(details, ""))
            for condition, key, details in self.condition_fields
            if self.cleaned_data.get(key)
        ]

    def checklist(self) -> dict[str, bool] | None:
        if not self.manual_items or not {k for _, k in self.manual_items} & set(self.changed_data):
            return None
        current = dict(self.plan.checklist or {})
        for entry, key in self.manual_items:
            current[entry.code] = bool(self.cleaned_data.get(key))
        return current


class HouseholdMemberForm(BootstrapForm):
    """Someone living at the proposed residence (anyone under 18 is flagged as a minor)."""

    name = forms.CharField(max_length=150)
    relationship = forms.CharField(max_length=60)
    age = forms.IntegerField(min_value=0, max_value=120, required=False)
    is_minor = forms.BooleanField(required=False, label="Minor")


HouseholdFormSet = formset_factory(HouseholdMemberForm, extra=2, can_delete=True)


class VictimForm(BootstrapForm):
    """A victim or other no-contact person, with notification wishes."""

    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(max_length=150)
    no_contact = forms.BooleanField(required=False, initial=True, label="No contact")
    notify = forms.BooleanField(required=False, initial=True, label="Wants notification")
    notification_channel = forms.ChoiceField(
        choices=[("", "—"), ("email", "Email"), ("phone", "Phone"), ("mail", "Mail")],
        required=False,
        label="Channel",
    )
    notification_address = forms.CharField(max_length=200, required=False, label="Address")
    advocate_agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(), required=False, label="Advocate agency"
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["advocate_agency"].queryset = (
            Agency.objects.restrict(user, "view").active().filter(kind=AgencyKind.VICTIM_SERVICES)
        )
        bootstrap(self)


VictimFormSet = formset_factory(VictimForm, extra=1, can_delete=True)


class HomeInvestigationForm(VersionForm):
    """The supervision officer's home investigation of the proposed residence."""

    approved = forms.TypedChoiceField(
        choices=[("yes", "Approved"), ("no", "Not approved")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        label="Outcome",
    )
    investigated_on = forms.DateField(widget=DATE, label="Date of the home visit")


class ReferForm(VersionForm):
    """Refer a submitted plan to a parole board."""

    board = forms.ModelChoiceField(queryset=Agency.objects.none(), label="Parole board")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["board"].queryset = svc.board_agencies()
        bootstrap(self)


class HearingForm(BootstrapForm):
    """Schedule the hearing; record public comment (based on the plan's version)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    hearing_date = forms.DateTimeField(
        widget=DATETIME, required=False, label="Hearing date and time"
    )
    hearing_location = forms.CharField(max_length=200, required=False, label="Location")
    public_comment = forms.CharField(
        widget=forms.Textarea(attrs=TEXTAREA), required=False, label="Public comment"
    )


class DecisionForm(BootstrapForm):
    """The board's decision, the conditions, the rationale and each member's vote."""

    decision = forms.ChoiceField(choices=Decision.choices)
    decided_on = forms.DateField(widget=DATE, label="Decided on")
    conditions = forms.CharField(
        widget=forms.Textarea(attrs=TEXTAREA), required=False, label="Conditions (text)"
    )
    add_conditions = forms.ModelMultipleChoiceField(
        queryset=ReleasePlan.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Add conditions from the catalogue",
    )
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args: Any, review: BoardReview, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["add_conditions"].queryset = svc.conditions_in_force(review.case)
        self.members = list(
            StaffMember.objects.active()
            .filter(agency_id=review.board_id)
            .with_role(Role.BOARD_MEMBER)
            .select_related("user")
        )
        self.vote_fields = []
        for member in self.members:
            key = f"vote_{member.pk}"
            self.fields[key] = forms.ChoiceField(
                choices=[("", "Did not vote")] + Vote.choices,
                required=False,
                label=f"Vote of {member.full_name}",
            )
            self.fields[f"comment_{member.pk}"] = forms.CharField(
                max_length=500, required=False, label=f"Comment of {member.full_name}"
            )
            self.vote_fields.append((member, key, f"comment_{member.pk}"))
        bootstrap(self)

    def vote_rows(self) -> list[tuple[StaffMember, Any, Any]]:
        return [(member, self[key], self[comment]) for member, key, comment in self.vote_fields]

    def votes(self) -> list[svc.VoteInput]:
        return [
            svc.VoteInput(member, self.cleaned_data[key], self.cleaned_data.get(comment, ""))
            for member, key, comment in self.vote_fields
            if self.cleaned_data.get(key)
        ]


class ReleaseForm(VersionForm):
    """Record the release: the case passes to community supervision."""

    released_on = forms.DateField(widget=DATE, label="Released on")
    supervision_level = forms.ChoiceField(
        choices=[("", "Keep the case's level")] + SupervisionLevel.choices,
        required=False,
        label="Supervision level",
    )
