"""The report filter form: agency (only those the user may report on) and a month range."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from cases import reports
from cases.forms.contacts import AccessibleErrorsMixin


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"class": "form-control", **(attrs or {})}, format="%Y-%m")


class MonthField(forms.DateField):
    """A calendar month (YYYY-MM), cleaned to its first day."""

    widget = MonthInput

    def to_python(self, value: Any) -> date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, date):
            return value.replace(day=1)
        try:
            return datetime.strptime(str(value).strip(), "%Y-%m").date()  # noqa: DTZ007
        except ValueError:
            raise ValidationError("Enter a month as YYYY-MM, e.g. 2026-03.", code="invalid")


class ReportFilterForm(AccessibleErrorsMixin, forms.Form):
    """GET filters of a report page. `filters()` after is_valid() gives a reports.Filters."""

    agency = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="All agencies I may report on",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    start = MonthField(label="From month")
    end = MonthField(label="To month")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        agencies = reports.reportable_agencies(user).order_by("name")
        self.fields["agency"].queryset = agencies
        if agencies.count() == 1:
            self.fields["agency"].empty_label = None
        defaults = reports.default_filters(user)
        self.fields["start"].initial = defaults.start
        self.fields["end"].initial = defaults.end

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The last month must be on or after the first month.")
            elif len(reports.months_between(start, end)) > reports.MAX_MONTHS:
                self.add_error("end", f"Choose at most {reports.MAX_MONTHS} months.")
        return data

    def filters(self) -> reports.Filters:
        agency = self.cleaned_data.get("agency")
        if agency is not None:
            ids: tuple[int, ...] = (agency.pk,)
        else:
            ids = tuple(self.fields["agency"].queryset.values_list("pk", flat=True))
        return reports.Filters(ids, self.cleaned_data["start"], self.cleaned_data["end"])
