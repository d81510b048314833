"""Offender search: forgiving matching (partial, transposed, typos, alias, date of birth,
identifiers), restricted by standing and by the fields a partner's terms share."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.choices import RecordType, Role
from cases.search import parse_query, search_offenders
from mou.choices import MOUStatus
from tests.factories import AgencyFactory, CaseFactory, OffenderFactory
from tests.factories_browser import build_search_world
from tests.factories_contacts import share, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():  # noqa: ANN201
    return build_search_world()


def found(user, q: str) -> list[int]:  # noqa: ANN001
    return [r.offender_id for r in search_offenders(user, q, audit_search=False).results]


# --- parsing ------------------------------------------------------------------------------------


def test_query_is_split_into_names_dates_and_identifiers() -> None:
    parsed = parse_query("Smith, John 04/02/1979 PS7700123")
    assert parsed.names == ("Smith", "John")
    assert parsed.dates == (dt.date(1979, 4, 2),)
    assert parsed.identifiers == ("PS7700123",)


def test_an_impossible_date_is_an_identifier_not_a_crash() -> None:
    assert parse_query("1979-13-45").identifiers == ("1979-13-45",)


# --- matching (lead agency: every field) --------------------------------------------------------


@pytest.mark.parametrize(
    "q",
    [
        "John Smith",
        "Smith John",  # transposed
        "Smith, John",
        "smith",  # case-insensitive
        "Smi",  # partial last name
        "Jo Sm",  # partial both
        "Smtih",  # typo (transposed letters)
        "Jonh Smith",  # typo in the first name
        "John Quincy Smith",  # with the middle name
        "Smitherson",  # alias
        "Jack Smitherson",  # alias, both names
        "1979-04-02",  # date of birth, ISO
        "04/02/1979",  # date of birth, US
        "PS7700123",  # state ID
        "ps7700123",  # state ID, lower case
        "DOC-55012",  # DOC number
        "FBI9981X",  # FBI number
        "Smith 1979-04-02",  # name and date of birth together
    ],
)
def test_lead_agency_finds_the_person(world, q: str) -> None:  # noqa: ANN001
    assert found(world.lead_user, q) == [world.offender.pk]


@pytest.mark.parametrize(
    "q", ["Brown", "Smith Brown", "1980-01-01", "PS0000000", "Smith 1980-01-01"]
)
def test_queries_that_do_not_match_find_nobody(world, q: str) -> None:  # noqa: ANN001
    assert found(world.lead_user, q) == []


def test_closer_spellings_rank_first(world) -> None:  # noqa: ANN001
    smyth = CaseFactory(
        lead_agency=world.lead, offender=OffenderFactory(first_name="Jon", last_name="Smyth")
    ).offender
    assert found(world.lead_user, "John Smith") == [world.offender.pk, smyth.pk]


def person(world, first: str, last: str):  # noqa: ANN001, ANN201
    """An offender with a case led by the world's lead agency."""
    return CaseFactory(
        lead_agency=world.lead, offender=OffenderFactory(first_name=first, last_name=last)
    ).offender


def test_prefix_matches_come_alphabetically_by_the_matching_name(world) -> None:  # noqa: ANN001
    # first- and last-name matches interleave by the name that matched, then the other name
    smithers = person(world, "Amy", "Smithers")
    smits = person(world, "Zed", "Smits")
    smiley = person(world, "Smiley", "Brown")
    assert found(world.lead_user, "Smi") == [smiley.pk, world.offender.pk, smithers.pk, smits.pk]


def test_typos_rank_below_every_prefix_match(world) -> None:  # noqa: ANN001
    smyth = person(world, "John", "Smyth")  # a typo away from "Smith"
    smithson = person(world, "Al", "Smithson")  # starts with "Smith"
    assert found(world.lead_user, "Smith") == [world.offender.pk, smithson.pk, smyth.pk]


def test_typos_are_looked_for_only_while_prefix_matches_do_not_fill_the_list(  # noqa: ANN201
    world,  # noqa: ANN001
    monkeypatch,  # noqa: ANN001
):
    # Prefix matches rank first; with CANDIDATES of them visible, no typo could be shown.
    smyth = person(world, "Jon", "Smyth")
    smithson = person(world, "Al", "Smithson")
    monkeypatch.setattr("cases.search.CANDIDATES", 2)
    assert found(world.lead_user, "Smith") == [world.offender.pk, smithson.pk]
    monkeypatch.setattr("cases.search.CANDIDATES", 3)
    assert found(world.lead_user, "Smith") == [world.offender.pk, smithson.pk, smyth.pk]


def test_prefix_matches_the_user_may_not_see_do_not_stop_the_typo_search(  # noqa: ANN201
    world,  # noqa: ANN001
    monkeypatch,  # noqa: ANN001
):
    # Only visible prefix matches count toward the list the typo stage waits for: three
    # Smithsons nobody sees (no case) rank first for their agencies, not for this one.
    for _ in range(3):
        OffenderFactory(first_name="Al", last_name="Smithson")
    smyth = person(world, "Jon", "Smyth")
    monkeypatch.setattr("cases.search.CANDIDATES", 2)
    assert found(world.lead_user, "Smith") == [world.offender.pk, smyth.pk]


def test_a_person_matching_by_first_and_last_name_is_found_once(world) -> None:  # noqa: ANN001
    jordan = person(world, "Jordan", "Jordan")
    # (then John Smith, through a typo: "Jor" ~ "John" 0.29)
    assert found(world.lead_user, "Jor") == [jordan.pk, world.offender.pk]


def test_a_three_letter_typo_is_found_when_few_names_start_with_it(world) -> None:  # noqa: ANN001
    # "Jon" starts no name of this world, so the typo stage finds John (similarity 0.29)
    assert found(world.lead_user, "Jon") == [world.offender.pk]


def test_like_wildcards_in_the_query_are_literal(world) -> None:  # noqa: ANN001
    assert found(world.lead_user, "%") == []
    assert found(world.lead_user, "_____") == []  # would match any 5-letter name unescaped


# --- restriction (personas) ---------------------------------------------------------------------


def test_outsider_gets_nothing_for_a_name_that_exists(world) -> None:  # noqa: ANN001
    # the same empty answer as for a name nobody has: no existence leak
    assert found(world.outsider, "John Smith") == found(world.outsider, "Nobody Atall") == []


def test_partner_finds_by_shared_name_fields_and_sees_only_them(world) -> None:  # noqa: ANN001
    outcome = search_offenders(world.partner_user, "Smith John", audit_search=False)
    assert [r.offender_id for r in outcome.results] == [world.offender.pk]
    assert outcome.results[0].fields == {"first_name": "John", "last_name": "Smith"}
    assert outcome.results[0].aliases == []


@pytest.mark.parametrize("q", ["1979-04-02", "PS7700123", "FBI9981X", "Jack Smitherson"])
def test_partner_cannot_find_through_fields_not_shared(world, q: str) -> None:  # noqa: ANN001
    # date of birth, identifiers and aliases are not in the partner's identity term
    assert found(world.partner_user, q) == []


def test_partner_with_date_of_birth_shared_finds_by_it(world) -> None:  # noqa: ANN001
    share(world.case, world.partner, RecordType.IDENTITY, ["date_of_birth"])
    assert found(world.partner_user, "1979-04-02") == [world.offender.pk]


def test_partner_whose_mou_expired_finds_nothing(world) -> None:  # noqa: ANN001
    from cases.models import CaseGroupObjectPermission
    from mou.models import MOU

    MOU.objects.filter(terms__recipient=world.partner).update(status=MOUStatus.EXPIRED)
    CaseGroupObjectPermission.objects.filter(group=world.partner.group).delete()  # revoked
    assert found(world.partner_user, "John Smith") == []


def test_better_matches_the_user_may_not_see_neither_show_nor_crowd_out(world, monkeypatch) -> None:  # noqa: ANN001, E501
    # Matches are ranked first and checked for standing best first, until CANDIDATES are
    # found: better-ranked people the lead agency has no standing on (no case at all, or a
    # case at another agency without an MOU) must be skipped, not counted against the limit.
    monkeypatch.setattr("cases.search.CANDIDATES", 3)
    hidden = [OffenderFactory(first_name="Aaron", last_name="Smith") for _ in range(3)]
    hidden += [
        CaseFactory(
            lead_agency=AgencyFactory(),
            offender=OffenderFactory(first_name="Abel", last_name="Smith"),
        ).offender
        for _ in range(2)
    ]
    assert found(world.lead_user, "Smith") == [world.offender.pk]
    # the hidden ones do rank first ("Aaron"/"Abel" before "John") for their own agencies
    other_user = staff_user(hidden[-1].cases.get().lead_agency, Role.CASE_MANAGER)
    assert found(other_user, "Smith") == [hidden[-1].pk]


def test_a_person_with_several_visible_cases_is_found_once(world) -> None:  # noqa: ANN001
    second = CaseFactory(offender=world.offender, lead_agency=world.lead)
    result = search_offenders(world.lead_user, "Smith", audit_search=False).results
    assert [r.offender_id for r in result] == [world.offender.pk]
    assert sorted(c.pk for c in result[0].cases) == sorted([world.case.pk, second.pk])


def test_analyst_finds_nobody(world) -> None:  # noqa: ANN001
    # analysts work with aggregates only: the role has no identity view
    assert found(world.analyst, "John Smith") == []


def test_deactivated_and_anonymous_find_nobody(world) -> None:  # noqa: ANN001
    from django.contrib.auth.models import AnonymousUser

    world.lead_user.is_active = False
    world.lead_user.save()
    assert found(world.lead_user, "John Smith") == []
    assert found(AnonymousUser(), "John Smith") == []


def test_cases_of_other_agencies_are_not_listed_on_a_result(world) -> None:  # noqa: ANN001
    # given the same person also has a case at another agency with no MOU
    other = CaseFactory(offender=world.offender, lead_agency=AgencyFactory())
    result = search_offenders(world.lead_user, "John Smith", audit_search=False).results[0]
    assert [c.pk for c in result.cases] == [world.case.pk]
    assert other.pk not in [c.pk for c in result.cases]


def test_victim_advocate_with_identity_term_sees_only_names(world) -> None:  # noqa: ANN001
    advocacy = AgencyFactory()
    advocate = staff_user(advocacy, Role.VICTIM_ADVOCATE)
    share(world.case, advocacy, RecordType.IDENTITY, ["last_name"])
    result = search_offenders(advocate, "Smith", audit_search=False).results
    assert [r.fields for r in result] == [{"last_name": "Smith"}]
    # a first name alone is not shared: searching by it finds nothing
    assert found(advocate, "John") == []


def queries(user, q: str) -> int:  # noqa: ANN001
    """Queries of one search by a freshly loaded user (as in a request, nothing cached)."""
    fresh = type(user).objects.get(pk=user.pk)
    with CaptureQueriesContext(connection) as ctx:
        assert search_offenders(fresh, q).results
    return len(ctx)


# Pinned. Both: the staff record and its agency's standing facts (a request's middleware
# has both already; a search keeps the facts as a read-only request does); savepoint,
# threshold, the matches with their flags, release; the cases; the audit (savepoint, event,
# read rows, release). The lead: the aliases (its terms share them). The partner: its terms
# (for the field allow-lists); no team membership, since its terms cover every case of the
# lead agency (docs/performance.md, design change 11). The same for prefixes, typos (the
# typo stage is part of the one statement) and any number of results.
@pytest.mark.parametrize("q", ["Smith", "Smi", "Smtih", "Jonh Smith", "Smith, John"])
def test_a_search_is_a_fixed_number_of_queries(world, q: str) -> None:  # noqa: ANN001
    assert (queries(world.lead_user, q), queries(world.partner_user, q)) == (12, 12)
    for i in range(12):
        case = person(world, f"John{i}", "Smith").cases.get()
        share(case, world.partner, RecordType.IDENTITY, ["first_name", "last_name"])
    assert (queries(world.lead_user, q), queries(world.partner_user, q)) == (12, 12)


def test_short_or_empty_queries_search_nothing(world) -> None:  # noqa: ANN001
    assert search_offenders(world.lead_user, "", audit_search=False).results == []
    outcome = search_offenders(world.lead_user, "S", audit_search=False)
    assert outcome.results == [] and outcome.too_short
