"""The case domain, split by topic."""

from cases.models.alerts import Alert
from cases.models.assessments import (
    CasePlanGoal,
    ProgressNote,
    RiskAssessment,
    SupervisionLevelChange,
)
from cases.models.core import (
    AgencyWideGrant,
    Case,
    CaseAssignment,
    CaseCondition,
    CaseGroupObjectPermission,
)
from cases.models.offenders import Conviction, Offender, OffenderAlias
from cases.models.registration import AddressVerification, RegistrationEvent, RegistrationRecord
from cases.models.release import (
    BoardDecision,
    BoardReview,
    BoardVote,
    HouseholdMember,
    PlanCondition,
    ReleasePlan,
    Victim,
)
from cases.models.supervision import QualifyingContacts, Residence, SupervisionContact
from cases.models.treatment import PolygraphExam, TreatmentEnrollment, TreatmentReport

__all__ = [
    "AddressVerification",
    "Alert",
    "BoardDecision",
    "BoardReview",
    "BoardVote",
    "Case",
    "CaseAssignment",
    "CaseCondition",
    "CaseGroupObjectPermission",
    "AgencyWideGrant",
    "CasePlanGoal",
    "Conviction",
    "HouseholdMember",
    "Offender",
    "OffenderAlias",
    "PlanCondition",
    "PolygraphExam",
    "ProgressNote",
    "RegistrationEvent",
    "RegistrationRecord",
    "ReleasePlan",
    "Residence",
    "RiskAssessment",
    "QualifyingContacts",
    "SupervisionContact",
    "SupervisionLevelChange",
    "TreatmentEnrollment",
    "TreatmentReport",
    "Victim",
]
