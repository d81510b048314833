"""factory_boy factories shared by every test package (fictional data only)."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model

from agencies.choices import AgencyKind, Role
from agencies.models import Agency, StaffMember
from cases.choices import CaseStatus, Sex
from cases.models import Case, CaseAssignment, Offender
from mou.choices import MOUStatus, TermScope
from mou.models import MOU, DataSharingTerm, MOUParty


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Test Agency {n}")
    short_name = factory.Sequence(lambda n: f"TA{n}")
    kind = AgencyKind.CORRECTIONS
    jurisdiction = "Prairie State"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")

    @factory.post_generation
    def password(obj, create: bool, extracted: str | None, **kwargs: object) -> None:  # noqa: N805
        # set_password + save, so the password history sees the account's first password
        obj.set_password(extracted or "correct horse battery staple")
        if create:
            obj.save()


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffMember

    user = factory.SubFactory(UserFactory)
    agency = factory.SubFactory(AgencyFactory)
    roles = factory.LazyFunction(lambda: [Role.CASE_MANAGER])


class OffenderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Offender

    first_name = factory.Faker("first_name_male")
    last_name = factory.Faker("last_name")
    date_of_birth = dt.date(1980, 5, 17)
    sex = Sex.MALE
    state_id = factory.Sequence(lambda n: f"PS{n:07d}")


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    offender = factory.SubFactory(OffenderFactory)
    case_number = factory.Sequence(lambda n: f"C-{n:06d}")
    lead_agency = factory.SubFactory(AgencyFactory)
    status = CaseStatus.SUPERVISED
    jurisdiction = "Prairie State"
    supervision_start = dt.date(2026, 1, 5)
    supervision_level = "moderate"


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseAssignment

    case = factory.SubFactory(CaseFactory)
    agency = factory.SubFactory(AgencyFactory)
    role = "treatment_provider"


class MOUFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MOU

    title = factory.Sequence(lambda n: f"Information-sharing MOU {n}")
    purpose = "Coordinate sex offender management."
    effective_date = dt.date(2026, 1, 1)
    expiration_date = dt.date(2028, 1, 1)
    status = MOUStatus.DRAFT
    drafted_by = factory.SubFactory(AgencyFactory)


class MOUPartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MOUParty

    mou = factory.SubFactory(MOUFactory)
    agency = factory.SubFactory(AgencyFactory)


class TermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataSharingTerm

    mou = factory.SubFactory(MOUFactory)
    provider = factory.SubFactory(AgencyFactory)
    recipient = factory.SubFactory(AgencyFactory)
    record_type = "status"
    fields = factory.LazyFunction(lambda: ["status", "release_date"])
    actions = factory.LazyFunction(lambda: ["view"])
    scope = TermScope.ASSIGNED
