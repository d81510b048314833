"""Agencies, their staff (one login per role), supervisors and training records."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission

from agencies.demo import DEMO_PASSWORD, DEMO_USERS
from agencies.models import Agency, StaffMember, TrainingCourse, TrainingRecord, TrainingRequirement
from cases.demo.catalog import (
    AGENCIES,
    COURSES,
    DEMO_LOGIN_NAMES,
    DEMO_LOGIN_SUPERVISORS,
    DEMO_SIGNATORIES,
    OTHER_STAFF,
    StaffSpec,
)
from cases.demo.context import DemoContext, add_months
from cases.demo.rows import Row, Writer

# Staff who are not demo logins cannot sign in ("!" prefix = unusable in Django); a fixed
# value keeps re-runs from rewriting the column.
UNUSABLE_PASSWORD = "!demo-staff-without-login"  # noqa: S105 - not a password
# Django admin access for the agency administrator persona, restricted by restrict().
ADMIN_SITE_GROUP = "admin-site:view"
ADMIN_SITE_APPS = ("agencies", "protocols", "mou", "cases", "sartcm")
ADMIN_SITE_USERS = ("admin.doc",)


def demo_password_hash() -> str:
    """One hash for every demo login, with a fixed salt so re-runs write nothing.

    A shared salt is acceptable only because these are published demo credentials.
    """
    return make_password(DEMO_PASSWORD, salt="sartcmdemo2026")


def staff_specs() -> list[StaffSpec]:
    """The demo logins (agencies.demo.DEMO_USERS) followed by the other staff."""
    specs = []
    for username, agency, roles, _ in DEMO_USERS:
        first, last, title = DEMO_LOGIN_NAMES[username]
        specs.append(
            StaffSpec(
                username,
                agency,
                tuple(roles),
                title,
                first_name=first,
                last_name=last,
                signatory=username in DEMO_SIGNATORIES,
                supervisor=DEMO_LOGIN_SUPERVISORS.get(username, ""),
            )
        )
    return specs + list(OTHER_STAFF)


def build_agencies(ctx: DemoContext, writer: Writer) -> None:
    """Agencies (each with its auth group), users, staff with supervisors, training."""
    ctx.reseed("agencies")
    for spec in AGENCIES:
        group, _ = Group.objects.get_or_create(name=f"agency:{spec.short_name}")
        ctx.agencies[spec.short_name] = Row(
            Agency,
            {
                "short_name": spec.short_name,
                "name": spec.name,
                "kind": spec.kind,
                "jurisdiction": spec.jurisdiction,
                "address": f"{ctx.fake.building_number()} {ctx.fake.street_name()}, {spec.town}",
                "phone": ctx.phone(),
                "email": ctx.email(spec.short_name.lower()),
                "active": True,
                "group_id": group.pk,
            },
        )
    writer.sync(ctx.agencies.values())

    password = demo_password_hash()
    demo_usernames = {username for username, *_ in DEMO_USERS}
    specs = staff_specs()
    for spec in specs:
        first = spec.first_name or ctx.fake.first_name()
        last = spec.last_name or ctx.fake.last_name()
        ctx.users[spec.username] = Row(
            get_user_model(),
            {
                "username": spec.username,
                "first_name": first,
                "last_name": last,
                "email": ctx.email(spec.username),
                "password": password if spec.username in demo_usernames else UNUSABLE_PASSWORD,
                "is_active": True,
                "is_staff": spec.username in ADMIN_SITE_USERS,
                "is_superuser": False,
            },
        )
        ctx.staff_roles[spec.username] = (spec.agency, spec.roles)
    writer.sync(ctx.users.values())

    for spec in specs:
        ctx.staff[spec.username] = Row(
            StaffMember,
            {
                "roles": list(spec.roles),
                "title": spec.title,
                "phone": ctx.phone(),
                "is_signatory": spec.signatory,
                "active": True,
            },
            refs={"user_id": ctx.users[spec.username], "agency_id": ctx.agencies[spec.agency]},
        )
    writer.sync(ctx.staff.values())
    # Supervisors point at staff rows, so they are set once every staff row has a key.
    writer.sync(
        Row(
            StaffMember,
            {},
            refs={
                "user_id": ctx.users[spec.username],
                "supervisor_id": ctx.staff[spec.supervisor],
            },
        )
        for spec in specs
        if spec.supervisor
    )
    _admin_site_access(ctx)
    _build_training(ctx, writer, specs)


def _admin_site_access(ctx: DemoContext) -> None:
    """View permissions on every SARTCM model for the admin-site persona (rows still go
    through restrict())."""
    group, _ = Group.objects.get_or_create(name=ADMIN_SITE_GROUP)
    wanted = set(
        Permission.objects.filter(
            content_type__app_label__in=ADMIN_SITE_APPS, codename__startswith="view_"
        ).values_list("pk", flat=True)
    )
    if set(group.permissions.values_list("pk", flat=True)) != wanted:
        group.permissions.set(wanted)
    users = get_user_model().objects.filter(username__in=ADMIN_SITE_USERS)
    for user in users:
        if not user.groups.filter(pk=group.pk).exists():
            user.groups.add(group)


def _build_training(ctx: DemoContext, writer: Writer, specs: list[StaffSpec]) -> None:
    ctx.reseed("training")
    courses = {
        title: Row(
            TrainingCourse,
            {
                "title": title,
                "description": description,
                "hours": Decimal(str(hours)),
                "provider": "Prairie Coalition Against Sexual Violence"
                if "Victim" in title
                else "Prairie Department of Corrections Training Academy",
                "active": True,
            },
        )
        for title, description, hours, _, _ in COURSES
    }
    writer.sync(courses.values())
    writer.sync(
        Row(
            TrainingRequirement,
            {"role": role, "renewal_months": renewal, "grace_days": 60, "agency_id": None},
            refs={"course_id": courses[title]},
        )
        for title, _, _, renewal, roles in COURSES
        for role in roles
    )

    records = []
    for index, spec in enumerate(specs):
        for title, _, _, renewal, roles in COURSES:
            if not set(spec.roles) & set(roles):
                continue
            # Mostly current; every 7th record expired, every 5th expiring within 30 days.
            if index % 7 == 3:
                expires = ctx.days_ago(ctx.rng.randint(10, 120))
            elif index % 5 == 1:
                expires = ctx.anchor + timedelta(days=ctx.rng.randint(3, 28))
            else:
                expires = ctx.anchor + timedelta(days=ctx.rng.randint(45, 30 * renewal - 10))
            completed = add_months(expires, -renewal)
            records.append(
                Row(
                    TrainingRecord,
                    {
                        "completed_on": completed,
                        "expires_on": expires,
                        "evidence_note": f"Certificate no. {ctx.rng.randint(10000, 99999)}",
                    },
                    refs={
                        "staff_id": ctx.staff[spec.username],
                        "course_id": courses[title],
                        "recorded_by_id": ctx.staff["admin.doc"]
                        if spec.agency == "PDOC"
                        else ctx.staff[spec.username],
                    },
                )
            )
    writer.sync(records)
