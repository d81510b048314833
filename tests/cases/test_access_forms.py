"""Page forms offer only related objects the user may use: no picking another agency's case."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from agencies.choices import Role
from cases.models import CaseAssignment
from sartcm.pages import RestrictedCreateView
from tests.factories import CaseFactory
from tests.factories_access import agency, staff

pytestmark = pytest.mark.django_db


class TeamMemberCreate(RestrictedCreateView):
    """A minimal page form over a model with a `case` choice (the shape every topic uses)."""

    model = CaseAssignment
    fields = ["case", "agency", "role"]


def test_case_choices_of_a_page_form_are_restricted_to_the_users_cases() -> None:
    doc, wha = agency("PDOC"), agency("WHA")
    mine, theirs = CaseFactory(lead_agency=doc), CaseFactory(lead_agency=wha)
    request = RequestFactory().get("/")
    request.user = staff(doc, Role.CASE_MANAGER).user
    view = TeamMemberCreate()
    view.setup(request)
    form = view.get_form()
    assert list(form.fields["case"].queryset) == [mine]
    # a posted id outside the choices is invalid, like an id that does not exist
    view.request = RequestFactory().post(
        "/", {"case": theirs.pk, "agency": doc.pk, "role": "other"}
    )
    view.request.user = request.user
    form = view.get_form()
    assert not form.is_valid() and "case" in form.errors
