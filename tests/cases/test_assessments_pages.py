"""Assessment and case-plan pages: personas, the live score, validation next to fields."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agencies.choices import Role
from cases.models import CasePlanGoal, RiskAssessment
from cases.scoring import ensure_builtin_instruments
from cases.services.assessments import record_assessment
from protocols.models import Instrument
from tests.factories import AgencyFactory, CaseFactory, OffenderFactory
from tests.factories_assessments import (
    STATIC_LOW,
    GoalFactory,
    acute_answers,
    mapping,
    share,
    stable_answers,
    staff,
)
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def world():  # noqa: ANN201
    ensure_builtin_instruments()
    instruments = {i.code: i for i in Instrument.objects.filter(builtin=True)}
    lead = AgencyFactory()
    case = CaseFactory(
        lead_agency=lead,
        offender=OffenderFactory(date_of_birth=dt.date(1991, 6, 2)),
        release_date=dt.date(2026, 6, 1),  # 34.99 at release: item 1 scores +1
    )
    manager = staff(lead, Role.CASE_MANAGER)
    assessment = record_assessment(
        case,
        instruments["stable2007"],
        stable_answers("0", impulsive_acts="1"),
        TODAY,
        manager,
        manager.user,
    )
    partner_agency = AgencyFactory()
    partner = staff(partner_agency, Role.SUPERVISION_OFFICER)
    share(case, partner_agency, "assessments", ["instrument", "assessed_on", "final_level"])
    outsider = staff(AgencyFactory(), Role.CASE_MANAGER)
    return {
        "case": case,
        "manager": manager,
        "partner": partner,
        "outsider": outsider,
        "assessment": assessment,
        "instruments": instruments,
    }


def login(member) -> Client:  # noqa: ANN001
    client = Client()
    otp_login(client, member.user)
    return client


def static_post(world, **overrides) -> dict:  # noqa: ANN001, ANN003
    data = {
        "instrument": world["instruments"]["static99r"].pk,
        "assessed_on": TODAY.isoformat(),
        "assessor": world["manager"].pk,
        "release_date": "",
    }
    data.update({f"item_{k}": v for k, v in STATIC_LOW.items()})
    data.update(overrides)
    return data


def test_case_manager_sees_list_detail_and_form(world) -> None:  # noqa: ANN001
    client = login(world["manager"])
    listing = client.get(reverse("cases:assessment-list", args=[world["case"].pk]))
    assert listing.status_code == 200
    assert b"STABLE-2007" in listing.content and b"<caption>" in listing.content
    detail = client.get(reverse("cases:assessment-detail", args=[world["assessment"].pk]))
    assert b"7. Impulsive acts" in detail.content
    assert b"not scored: no child victim recorded" in detail.content
    assert b"Add goals to the case plan" in detail.content
    url = reverse("cases:assessment-create", args=[world["case"].pk])
    chooser = client.get(url)
    assert b"Static-99R" in chooser.content
    form = client.get(url, {"instrument": world["instruments"]["static99r"].pk})
    assert form.status_code == 200
    assert (
        b'hx-post="' + reverse("cases:assessment-preview", args=[world["case"].pk]).encode()
        in form.content
    )
    assert b'name="item_prior_sex_charges"' in form.content
    assert b'name="item_age_at_release"' not in form.content  # computed, never asked


def test_partner_page_shows_only_shared_fields(world) -> None:  # noqa: ANN001
    client = login(world["partner"])
    listing = client.get(reverse("cases:assessment-list", args=[world["case"].pk]))
    assert listing.status_code == 200
    assert b"Final level" in listing.content
    assert b"Total" not in listing.content and b"Assessor" not in listing.content
    detail = client.get(reverse("cases:assessment-detail", args=[world["assessment"].pk]))
    assert detail.status_code == 200
    assert b"Impulsive acts" not in detail.content and b"Total score" not in detail.content


def test_outsider_gets_404_everywhere(world) -> None:  # noqa: ANN001
    client = login(world["outsider"])
    case_pk, pk = world["case"].pk, world["assessment"].pk
    for url in (
        reverse("cases:assessment-list", args=[case_pk]),
        reverse("cases:assessment-create", args=[case_pk]),
        reverse("cases:assessment-detail", args=[pk]),
        reverse("cases:assessment-void", args=[pk]),
        reverse("cases:caseplan", args=[case_pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("cases:assessment-preview", args=[case_pk]), {}).status_code == 404


def test_anonymous_is_sent_to_login(world) -> None:  # noqa: ANN001
    response = Client().get(reverse("cases:assessment-list", args=[world["case"].pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_live_preview_fragment_shows_total_and_level(world) -> None:  # noqa: ANN001
    client = login(world["manager"])
    url = reverse("cases:assessment-preview", args=[world["case"].pk])
    # partly filled: running total, no level yet
    partial = client.post(
        url,
        {"instrument": world["instruments"]["static99r"].pk, "item_male_victims": "yes"},
        HTTP_HX_REQUEST="true",
    )
    assert partial.status_code == 200
    assert b'<span data-testid="total">2</span>' in partial.content  # age +1, male victims +1
    assert b'data-testid="level"' not in partial.content
    # complete: total and level
    full = client.post(
        url,
        static_post(world, item_male_victims="yes", item_stranger_victims="yes"),
        HTTP_HX_REQUEST="true",
    )
    assert b'<span data-testid="total">3</span>' in full.content
    assert b'<span data-testid="level">III</span>' in full.content
    assert b"34.99" in full.content
    assert RiskAssessment.objects.filter(instrument__code="static99r").count() == 0


def test_calculate_without_javascript_saves_nothing(world) -> None:  # noqa: ANN001
    client = login(world["manager"])
    url = (
        reverse("cases:assessment-create", args=[world["case"].pk])
        + f"?instrument={world['instruments']['static99r'].pk}"
    )
    response = client.post(url, {**static_post(world), "preview": "1"})
    assert response.status_code == 200
    assert b'<span data-testid="level">III</span>' in response.content  # total 1
    assert RiskAssessment.objects.filter(instrument__code="static99r").count() == 0


def test_invalid_entry_shows_errors_next_to_items_and_saves_nothing(world) -> None:  # noqa: ANN001
    client = login(world["manager"])
    url = (
        reverse("cases:assessment-create", args=[world["case"].pk])
        + f"?instrument={world['instruments']['static99r'].pk}"
    )
    data = static_post(world, item_prior_sex_charges="-2")
    del data["item_male_victims"]
    response = client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing was saved" in html
    assert 'id="id_item_male_victims_errors"' in html
    assert (
        "Item 10 &#x27;Any male victims&#x27;: an answer is required; allowed answers: no (No, 0), yes (Yes, +1)."
        in html
    )
    assert 'id="id_item_prior_sex_charges_errors"' in html
    assert RiskAssessment.objects.filter(instrument__code="static99r").count() == 0


def test_saving_records_and_redirects_to_detail(world) -> None:  # noqa: ANN001
    mapping("static99r", {"I": "low", "II": "low", "III": "moderate", "IVa": "high", "IVb": "high"})
    client = login(world["manager"])
    url = (
        reverse("cases:assessment-create", args=[world["case"].pk])
        + f"?instrument={world['instruments']['static99r'].pk}"
    )
    response = client.post(
        url,
        {
            **static_post(world, item_prior_sex_convictions="4", item_male_victims="yes"),
            "save": "1",
        },
    )
    assert response.status_code == 302
    saved = RiskAssessment.objects.get(instrument__code="static99r")
    assert (saved.total_score, saved.computed_level) == (5, "IVa")
    assert response["Location"] == reverse("cases:assessment-detail", args=[saved.pk])
    world["case"].refresh_from_db()
    assert world["case"].supervision_level == "high"


def test_stable_form_leaves_out_item3_without_child_victim(world) -> None:  # noqa: ANN001
    client = login(world["manager"])
    url = reverse("cases:assessment-create", args=[world["case"].pk])
    form = client.get(url, {"instrument": world["instruments"]["stable2007"].pk})
    assert b"item_emotional_identification_with_children" not in form.content
    assert b"scored only where there is a child victim" in form.content


def test_override_page_only_for_lead_supervisor(world) -> None:  # noqa: ANN001
    url = reverse("cases:assessment-override", args=[world["assessment"].pk])
    assert login(world["manager"]).get(url).status_code == 403
    assert login(world["partner"]).get(url).status_code == 404
    supervisor = staff(world["case"].lead_agency, Role.SUPERVISOR)
    client = login(supervisor)
    assert client.get(url).status_code == 200
    missing = client.post(url, {"final_level": "high", "override_reason": ""})
    assert missing.status_code == 200 and b'id="id_override_reason_errors"' in missing.content
    done = client.post(url, {"final_level": "high", "override_reason": "New information."})
    assert done.status_code == 302
    world["assessment"].refresh_from_db()
    assert (world["assessment"].computed_level, world["assessment"].final_level) == ("low", "high")


def test_void_page(world) -> None:  # noqa: ANN001
    client = login(world["manager"])
    url = reverse("cases:assessment-void", args=[world["assessment"].pk])
    assert client.post(url, {"void_reason": ""}).status_code == 200
    assert client.post(url, {"void_reason": "Wrong case."}).status_code == 302
    world["assessment"].refresh_from_db()
    assert world["assessment"].status == "voided"


def test_goals_from_needs_page_and_case_plan(world) -> None:  # noqa: ANN001
    client = login(world["manager"])
    response = client.post(reverse("cases:assessment-goals", args=[world["assessment"].pk]))
    assert response.status_code == 302
    goal = CasePlanGoal.objects.get(case=world["case"])
    assert goal.need == "stable2007.impulsive_acts"
    plan = client.get(reverse("cases:caseplan", args=[world["case"].pk]))
    assert b"Plan ahead and avoid impulsive" in plan.content
    # progress note
    note = client.post(
        reverse("cases:caseplan-goal-note", args=[goal.pk]),
        {"note": "Weekly plan kept.", "written_on": TODAY.isoformat()},
    )
    assert note.status_code == 302
    detail = client.get(reverse("cases:caseplan-goal-detail", args=[goal.pk]))
    assert b"Weekly plan kept." in detail.content
    # edit
    edit = client.post(
        reverse("cases:caseplan-goal-edit", args=[goal.pk]),
        {
            "goal": goal.goal,
            "interventions": "Schedule reviewed weekly.",
            "responsible_agency": world["case"].lead_agency_id,
            "responsible_staff": "",
            "target_date": "",
            "status": "met",
        },
    )
    assert edit.status_code == 302
    goal.refresh_from_db()
    assert (goal.status, goal.interventions) == ("met", "Schedule reviewed weekly.")


def test_goal_create_page(world) -> None:  # noqa: ANN001
    client = login(world["manager"])
    url = reverse("cases:caseplan-goal-create", args=[world["case"].pk])
    assert client.get(url).status_code == 200
    bad = client.post(
        url, {"goal": "", "responsible_agency": world["case"].lead_agency_id, "status": "open"}
    )
    assert bad.status_code == 200 and b'id="id_goal_errors"' in bad.content
    ok = client.post(
        url,
        {
            "goal": "Find work.",
            "responsible_agency": world["case"].lead_agency_id,
            "status": "open",
        },
    )
    assert ok.status_code == 302
    assert CasePlanGoal.objects.filter(case=world["case"], goal="Find work.").exists()
    # the partner has no case-plan term
    assert login(world["partner"]).get(url).status_code == 404


def test_assessments_due_lists_only_the_latest_visible(world) -> None:  # noqa: ANN001
    manager = world["manager"]
    older = record_assessment(
        world["case"],
        world["instruments"]["acute2007"],
        acute_answers(),
        TODAY - dt.timedelta(days=40),
        manager,
        manager.user,
    )
    RiskAssessment.objects.filter(pk=older.pk).update(next_due=TODAY - dt.timedelta(days=10))
    response = login(manager).get(reverse("cases:assessments-due"))
    assert world["case"].case_number.encode() in response.content
    # a newer ACUTE supersedes the overdue one
    newer = record_assessment(
        world["case"],
        world["instruments"]["acute2007"],
        acute_answers(),
        TODAY,
        manager,
        manager.user,
    )
    RiskAssessment.objects.filter(pk=newer.pk).update(next_due=TODAY + dt.timedelta(days=90))
    assert (
        world["case"].case_number.encode()
        not in login(manager).get(reverse("cases:assessments-due")).content
    )
    assert (
        world["case"].case_number.encode()
        not in login(world["outsider"]).get(reverse("cases:assessments-due")).content
    )


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_page_query_counts_are_constant_in_page_size(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    client = login(world["manager"])
    case, manager = world["case"], world["manager"]
    list_url = reverse("cases:assessment-list", args=[case.pk])
    plan_url = reverse("cases:caseplan", args=[case.pk])
    GoalFactory(case=case)
    few, few_plan = _count(client, list_url), _count(client, plan_url)
    for n in range(10):
        record_assessment(
            case,
            world["instruments"]["acute2007"],
            acute_answers(),
            TODAY - dt.timedelta(days=n + 1),
            manager,
            manager.user,
        )
        GoalFactory(case=case)
    with django_assert_max_num_queries(few):
        client.get(list_url)
    with django_assert_max_num_queries(few_plan):
        client.get(plan_url)


def test_case_tab_partial_renders_links(world) -> None:  # noqa: ANN001
    from django.template.loader import render_to_string

    html = render_to_string("cases/tabs/assessments.html", {"case": world["case"]})
    assert reverse("cases:assessment-list", args=[world["case"].pk]) in html
    assert reverse("cases:caseplan", args=[world["case"].pk]) in html
