"""The demo MOUs: who shares what with whom, signed (or not) consistently with their status.

Every demo persona has something to see: PCSA (all cases), HVS (victim safety, field-limited),
NTA (treatment, adds reports), PPRB (release plans of referred cases), CCSO/ACSO (registry).
WHA's pilot has expired (the "partner whose MOU expired" persona); BRC's agreement still
awaits BRC's signature, so BRC sees nothing yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from agencies.choices import Action, RecordType
from agencies.vocabulary import SHAREABLE_FIELDS
from cases.demo.context import DemoContext, add_months
from cases.demo.rows import Row, Writer
from mou.choices import MOUStatus, TermScope
from mou.models import MOU, DataSharingTerm, MOUParty, Signature

R = RecordType
V, A, C = Action.VIEW, Action.ADD, Action.CHANGE
ALL = "__all__"

# What community supervision may do on corrections' cases (and the reverse: view only).
SUPERVISION_ACTIONS: dict[str, tuple[str, ...]] = {
    R.CONTACTS: (V, A, C),
    R.RESIDENCE: (V, A, C),
    R.CASE_PLAN: (V, A, C),
    R.STATUS: (V, C),
    R.ASSESSMENTS: (V, A),
    R.POLYGRAPH: (V, A),
    R.RELEASE_PLANS: (V, C),
}
TREATMENT_TERMS: list[tuple[str, str, tuple[str, ...]]] = [
    (R.TREATMENT, ALL, (V, A)),
    (R.POLYGRAPH, ALL, (V, A)),
    (
        R.IDENTITY,
        "first_name middle_name last_name aliases date_of_birth sex doc_number",
        (V,),
    ),
    (
        R.STATUS,
        "status supervision_level supervision_start expected_release_date release_date "
        "case_manager_name officer_name officer_phone active_conditions",
        (V,),
    ),
    (R.CASE_PLAN, ALL, (V,)),
]


@dataclass(frozen=True)
class MOUSpec:
    title: str
    purpose: str
    parties: tuple[str, ...]
    status: str
    # provider, recipient, record type, fields (space-separated or ALL), actions, scope
    terms: tuple[tuple[str, str, str, str, tuple[str, ...], str], ...]
    signed_by: tuple[str, ...] | None = None  # None: every party


def _terms(
    provider: str, recipient: str, items: list[tuple[str, str, tuple[str, ...]]], scope: str
) -> list[tuple[str, str, str, str, tuple[str, ...], str]]:
    return [(provider, recipient, rt, fields, actions, scope) for rt, fields, actions in items]


def mou_specs() -> list[MOUSpec]:
    every_type = [(rt, ALL, SUPERVISION_ACTIONS.get(rt, (V,))) for rt in RecordType]
    registry = [
        (R.IDENTITY, ALL, (V,)),
        (R.REGISTRATION, ALL, (V, A, C)),
        (R.RESIDENCE, ALL, (V, A)),
    ]
    victim_safety = [
        (R.VICTIM_SAFETY, ALL, (V,)),
        (R.STATUS, "status release_date officer_name officer_phone", (V,)),
    ]
    return [
        MOUSpec(
            "PDOC–PCSA Community Supervision Information Sharing",
            "Hand-off from incarceration to community supervision and joint case management "
            "of every person supervised in the community.",
            ("PDOC", "PCSA"),
            MOUStatus.ACTIVE,
            tuple(
                _terms("PDOC", "PCSA", every_type, TermScope.ALL)
                + _terms("PCSA", "PDOC", [(rt, ALL, (V,)) for rt in RecordType], TermScope.ALL)
            ),
        ),
        MOUSpec(
            "PDOC–PCSA–HVS Victim Safety Information Sharing",
            "Victim notification and safety planning: victim service providers see supervision "
            "status, release dates, victim-protection conditions and the officer to call, "
            "never assessments, treatment or polygraph information.",
            ("PDOC", "PCSA", "HVS"),
            MOUStatus.ACTIVE,
            tuple(
                _terms("PDOC", "HVS", victim_safety, TermScope.ASSIGNED)
                + _terms("PCSA", "HVS", victim_safety, TermScope.ASSIGNED)
            ),
        ),
        MOUSpec(
            "PDOC–NTA Treatment Services Agreement",
            "Sex offense-specific treatment for people under PDOC supervision; the provider "
            "files monthly progress reports and polygraph results.",
            ("PDOC", "NTA"),
            MOUStatus.ACTIVE,
            tuple(_terms("PDOC", "NTA", TREATMENT_TERMS, TermScope.ASSIGNED)),
        ),
        MOUSpec(
            "PDOC–PPRB Release Review Protocol",
            "Referral of release plans to the Prisoner Review Board, hearings and decisions.",
            ("PDOC", "PPRB"),
            MOUStatus.ACTIVE,
            tuple(
                _terms(
                    "PDOC",
                    "PPRB",
                    [
                        (R.RELEASE_PLANS, ALL, (V, C)),
                        (R.BOARD_DECISIONS, ALL, (V, A)),
                        (R.ASSESSMENTS, ALL, (V,)),
                        (R.IDENTITY, ALL, (V,)),
                        (R.STATUS, ALL, (V,)),
                    ],
                    TermScope.ASSIGNED,
                )
            ),
        ),
        MOUSpec(
            "PDOC–Sheriffs Registry Coordination",
            "Pre-registration before release, registration compliance and address "
            "verification by the county registry offices.",
            ("PDOC", "CCSO", "ACSO"),
            MOUStatus.ACTIVE,
            tuple(
                _terms("PDOC", "CCSO", registry, TermScope.ALL)
                + _terms("PDOC", "ACSO", registry, TermScope.ALL)
            ),
        ),
        MOUSpec(
            "PDOC–WHA Transitional Housing Pilot",
            "Two-year pilot placing people released from PDOC in WHA transitional units.",
            ("PDOC", "WHA"),
            MOUStatus.EXPIRED,
            tuple(
                _terms(
                    "PDOC",
                    "WHA",
                    [
                        (R.IDENTITY, "first_name last_name date_of_birth", (V,)),
                        (R.RESIDENCE, ALL, (V,)),
                        (
                            R.RELEASE_PLANS,
                            "status release_date residence_address housing_status household_members",
                            (V,),
                        ),
                    ],
                    TermScope.ASSIGNED,
                )
            ),
        ),
        MOUSpec(
            "PDOC–BRC Treatment Services Agreement",
            "Second treatment provider for the Aspen County caseload (awaiting BRC's signature).",
            ("PDOC", "BRC"),
            MOUStatus.AWAITING_SIGNATURES,
            tuple(_terms("PDOC", "BRC", TREATMENT_TERMS, TermScope.ASSIGNED)),
            signed_by=("PDOC",),
        ),
        MOUSpec(
            "PDOC–PSAC Research Data Agreement",
            "De-identified aggregates for the statewide recidivism study (draft under review).",
            ("PDOC", "PSAC"),
            MOUStatus.DRAFT,
            tuple(
                _terms(
                    "PDOC", "PSAC", [(R.STATUS, "status supervision_level", (V,))], TermScope.ALL
                )
            ),
            signed_by=(),
        ),
    ]


def _dates(ctx: DemoContext, status: str) -> tuple[date, date | None]:
    if status == MOUStatus.EXPIRED:
        expiration = ctx.days_ago(ctx.rng.randint(45, 90))
        return add_months(expiration, -24), expiration
    if status in (MOUStatus.DRAFT, MOUStatus.AWAITING_SIGNATURES):
        effective = ctx.days_ago(ctx.rng.randint(5, 20))
        return effective, add_months(effective, 36)
    effective = ctx.days_ago(ctx.rng.randint(300, 700))
    return effective, add_months(effective, 48)


def build_mous(ctx: DemoContext, writer: Writer) -> None:
    """MOUs with parties and their signatories, signatures and current-version terms."""
    ctx.reseed("mous")
    signatory = {
        agency: next(
            username
            for username, (short, _) in ctx.staff_roles.items()
            if short == agency and ctx.staff[username].values["is_signatory"]
        )
        for agency in ctx.agencies
    }
    mous: list[Row] = []
    parties: list[Row] = []
    signatures: list[Row] = []
    terms: list[Row] = []
    for spec in mou_specs():
        effective, expiration = _dates(ctx, spec.status)
        in_force = spec.status in (MOUStatus.ACTIVE, MOUStatus.EXPIRED)
        mou = Row(
            MOU,
            {
                "title": spec.title,
                "purpose": spec.purpose,
                "effective_date": effective,
                "expiration_date": expiration,
                "status": spec.status,
                "terms_version": 1,
                "activated_at": ctx.at(effective, 9) if in_force else None,
                "ended_at": ctx.at(expiration + timedelta(days=1), 0, 5)
                if spec.status == MOUStatus.EXPIRED and expiration
                else None,
            },
            refs={"drafted_by_id": ctx.agencies["PDOC"], "created_by_id": ctx.users["admin.doc"]},
        )
        mous.append(mou)
        signed = spec.parties if spec.signed_by is None else spec.signed_by
        for agency in spec.parties:
            parties.append(
                Row(
                    MOUParty,
                    {},
                    refs={
                        "mou_id": mou,
                        "agency_id": ctx.agencies[agency],
                        "signatory_id": ctx.staff[signatory[agency]],
                    },
                )
            )
            if agency in signed:
                signatures.append(
                    Row(
                        Signature,
                        {"terms_version": 1},
                        refs={
                            "mou_id": mou,
                            "agency_id": ctx.agencies[agency],
                            "signed_by_id": ctx.staff[signatory[agency]],
                        },
                    )
                )
        for provider, recipient, record_type, fields, actions, scope in spec.terms:
            names = list(SHAREABLE_FIELDS[record_type]) if fields == ALL else fields.split()
            unknown = set(names) - set(SHAREABLE_FIELDS[record_type])
            if unknown:
                raise ValueError(f"{spec.title}: {record_type} has no fields {sorted(unknown)}")
            terms.append(
                Row(
                    DataSharingTerm,
                    {
                        "record_type": record_type,
                        "fields": names,
                        "actions": [str(a) for a in actions],
                        "scope": scope,
                        "version": 1,
                        "superseded_at": None,
                    },
                    refs={
                        "mou_id": mou,
                        "provider_id": ctx.agencies[provider],
                        "recipient_id": ctx.agencies[recipient],
                    },
                )
            )
    writer.sync(mous)
    writer.sync(parties)
    writer.sync(signatures)
    writer.sync(terms)
