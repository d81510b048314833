"""Forms for protocols, versions and standards. Writes go through protocols.services."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from agencies.choices import Role
from agencies.forms import BootstrapFormMixin, DateInput, apply_service_errors
from protocols.choices import ProtocolArea, VersionStatus
from protocols.kinds import StandardKind
from protocols.models import Holiday, ProtectedSite, ProtocolVersion

__all__ = [
    "AdoptForm",
    "EndStandardForm",
    "HolidayForm",
    "ProtectedSiteForm",
    "ProtocolForm",
    "VersionForm",
    "apply_service_errors",
    "standard_form",
]


class ProtocolForm(BootstrapFormMixin, forms.Form):
    """A protocol's title, area, summary and the roles that must acknowledge it."""

    title = forms.CharField(max_length=200)
    area = forms.ChoiceField(choices=ProtocolArea.choices)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    applies_to_roles = forms.MultipleChoiceField(
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Roles that must acknowledge it",
    )


class VersionForm(BootstrapFormMixin, forms.Form):
    """The text of a draft version (Markdown)."""

    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text="Markdown. HTML is sanitized when shown: scripts and event handlers are removed.",
    )
    change_summary = forms.CharField(max_length=300, required=False, label="What changed")
    acknowledge_within_days = forms.IntegerField(
        min_value=1, max_value=365, initial=30, label="Acknowledge within (days)"
    )
    effective_from = forms.DateField(
        widget=DateInput(), required=False, label="Planned effective date"
    )


class AdoptForm(BootstrapFormMixin, forms.Form):
    """Adopt a draft from a date."""

    effective_from = forms.DateField(widget=DateInput(), label="In force from")


def _protocol_version_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=ProtocolVersion.objects.filter(status=VersionStatus.ADOPTED).select_related(
            "protocol"
        ),
        required=False,
        label="Set by protocol version",
        help_text="The adopted protocol version that sets this standard.",
    )


def standard_form(kind: StandardKind, *, create: bool) -> type[forms.ModelForm]:
    """A form for a kind of standard: every field for a new standard; the value fields and
    the date the new version takes effect for a supersede."""
    fields = list(kind.create_fields if create else kind.editable_fields)
    meta = type(
        "Meta",
        (),
        {
            "model": kind.model,
            "fields": fields,
            "widgets": {
                "effective_from": DateInput(),
                "effective_to": DateInput(),
                "text": forms.Textarea(attrs={"rows": 3}),
            },
        },
    )

    class StandardForm(BootstrapFormMixin, forms.ModelForm):
        Meta = meta

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            if "protocol_version" in self.fields:
                self.fields["protocol_version"] = _protocol_version_field()
            if not create:
                self.fields["effective_from"] = forms.DateField(
                    widget=DateInput(),
                    label="New version in force from",
                    help_text="Earlier dates keep using the current version.",
                )
            self.style_fields()

        def validate_unique(self) -> None:
            """Uniqueness, overlaps and constraints are checked by the service."""

        def _post_clean(self) -> None:
            # The service builds and validates the row (it may be a supersede, whose
            # constraints only hold once the current row is closed).
            pass

    StandardForm.__name__ = f"{kind.model.__name__}Form"
    return StandardForm


class EndStandardForm(BootstrapFormMixin, forms.Form):
    """Stop a standard without a successor."""

    effective_to = forms.DateField(
        widget=DateInput(), label="Last in force the day before", initial=date.today
    )


class HolidayForm(BootstrapFormMixin, forms.ModelForm):
    """A non-business day."""

    class Meta:
        model = Holiday
        fields = ["date", "name", "jurisdiction"]
        widgets = {"date": DateInput()}
        help_texts = {"jurisdiction": "Empty: a holiday everywhere."}

    def validate_unique(self) -> None:
        """Checked by the service (message next to the date)."""

    def _post_clean(self) -> None:
        pass


class ProtectedSiteForm(BootstrapFormMixin, forms.ModelForm):
    """A school, childcare facility or park used by residence-restriction checks."""

    class Meta:
        model = ProtectedSite
        fields = ["name", "kind", "jurisdiction", "latitude", "longitude"]
