"""Vocabulary shared by every app: agency kinds, roles, record types and actions."""

from django.db import models


class AgencyKind(models.TextChoices):
    CORRECTIONS = "corrections", "Corrections"
    PAROLE_BOARD = "parole_board", "Parole board"
    COMMUNITY_SUPERVISION = "community_supervision", "Community supervision"
    LAW_ENFORCEMENT = "law_enforcement", "Law enforcement / registry"
    TREATMENT_PROVIDER = "treatment_provider", "Treatment provider"
    VICTIM_SERVICES = "victim_services", "Victim services"
    COURT = "court", "Court"
    PROSECUTOR = "prosecutor", "Prosecutor"
    COALITION = "coalition", "Coalition"
    HOUSING = "housing", "Housing"
    OTHER = "other", "Other"


class Role(models.TextChoices):
    CASE_MANAGER = "case_manager", "Case manager"
    RELEASE_PLANNER = "release_planner", "Release/discharge planner"
    SUPERVISION_OFFICER = "supervision_officer", "Supervision officer"
    TREATMENT_PROVIDER = "treatment_provider", "Treatment provider"
    VICTIM_ADVOCATE = "victim_advocate", "Victim advocate"
    BOARD_MEMBER = "board_member", "Parole board member"
    REGISTRY_OFFICER = "registry_officer", "Registry officer"
    SUPERVISOR = "supervisor", "Supervisor"
    AGENCY_ADMIN = "agency_admin", "Agency administrator"
    ANALYST = "analyst", "Analyst"
    AUDITOR = "auditor", "Auditor"


class RecordType(models.TextChoices):
    """Kinds of case data an MOU term can share; one object permission per type and action."""

    IDENTITY = "identity", "Offender identity"
    STATUS = "status", "Case status and supervision"
    ASSESSMENTS = "assessments", "Risk assessments"
    CASE_PLAN = "case_plan", "Case plan"
    CONTACTS = "contacts", "Supervision contacts"
    TREATMENT = "treatment", "Treatment"
    POLYGRAPH = "polygraph", "Polygraph"
    RELEASE_PLANS = "release_plans", "Release plans"
    BOARD_DECISIONS = "board_decisions", "Board decisions"
    REGISTRATION = "registration", "Registration and address verification"
    RESIDENCE = "residence", "Residence and housing"
    VICTIM_SAFETY = "victim_safety", "Victim safety"


class Action(models.TextChoices):
    VIEW = "view", "View"
    ADD = "add", "Add"
    CHANGE = "change", "Change"


def permission_codename(action: str, record_type: str) -> str:
    """The guardian permission codename on Case for an action on a record type."""
    return f"{action}_{record_type}"


def all_case_permissions() -> list[tuple[str, str]]:
    """(codename, name) for every record type and action: Case.Meta.permissions."""
    return [
        (permission_codename(action, record_type), f"{action.label} {record_type.label.lower()}")
        for record_type in RecordType
        for action in Action
    ]
