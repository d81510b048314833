from django.db import models


class Sex(models.TextChoices):
    MALE = "M", "Male"
    FEMALE = "F", "Female"
    OTHER = "X", "Other/unknown"


class CaseStatus(models.TextChoices):
    INCARCERATED = "incarcerated", "Incarcerated"
    PRE_RELEASE = "pre_release", "Pre-release"
    SUPERVISED = "supervised", "Supervised"
    DISCHARGED = "discharged", "Discharged"
    ABSCONDED = "absconded", "Absconded"
    DECEASED = "deceased", "Deceased"


class TeamRole(models.TextChoices):
    CASE_MANAGER = "case_manager", "Case manager"
    RELEASE_PLANNER = "release_planner", "Release planner"
    SUPERVISION_OFFICER = "supervision_officer", "Supervision officer"
    TREATMENT_PROVIDER = "treatment_provider", "Treatment provider"
    VICTIM_ADVOCATE = "victim_advocate", "Victim advocate"
    BOARD = "board", "Parole board"
    REGISTRY = "registry", "Registry"
    OTHER = "other", "Other"


class VictimAgeGroup(models.TextChoices):
    CHILD = "child", "Child (under 14)"
    ADOLESCENT = "adolescent", "Adolescent (14–17)"
    ADULT = "adult", "Adult"
    UNKNOWN = "unknown", "Unknown"


class VictimRelationship(models.TextChoices):
    FAMILY = "family", "Family member"
    ACQUAINTANCE = "acquaintance", "Acquaintance"
    STRANGER = "stranger", "Stranger"
    UNKNOWN = "unknown", "Unknown"


class AssessmentStatus(models.TextChoices):
    VALID = "valid", "Valid"
    VOIDED = "voided", "Voided"


class GoalStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    MET = "met", "Met"
    NOT_MET = "not_met", "Not met"
    CLOSED = "closed", "Closed"


class ContactType(models.TextChoices):
    OFFICE = "office", "Office"
    HOME_VISIT = "home_visit", "Home visit"
    EMPLOYMENT_VERIFICATION = "employment_verification", "Employment verification"
    COLLATERAL = "collateral", "Collateral"
    TREATMENT_COLLATERAL = "treatment_collateral", "Treatment-provider collateral"
    FIELD = "field", "Field"
    EM_REVIEW = "em_review", "Electronic-monitoring review"


class ContactOutcome(models.TextChoices):
    COMPLETED = "completed", "Completed"
    ATTEMPTED = "attempted", "Attempted — not home"
    VIOLATION = "violation", "Violation observed"


class DischargeStatus(models.TextChoices):
    ACTIVE = "active", "Active in treatment"
    COMPLETED = "completed", "Completed successfully"
    UNSUCCESSFUL = "unsuccessful", "Discharged unsuccessfully"
    TRANSFERRED = "transferred", "Transferred"


class Rating(models.TextChoices):
    GOOD = "good", "Good"
    FAIR = "fair", "Fair"
    POOR = "poor", "Poor"


class PolygraphType(models.TextChoices):
    SEXUAL_HISTORY = "sexual_history", "Sexual history disclosure"
    MAINTENANCE = "maintenance", "Maintenance"
    SPECIFIC_ISSUE = "specific_issue", "Specific issue"


class PolygraphResult(models.TextChoices):
    NDI = "ndi", "No deception indicated (NDI)"
    DI = "di", "Deception indicated (DI)"
    NO_OPINION = "no_opinion", "No opinion"
    INCONCLUSIVE = "inconclusive", "Inconclusive"


class HousingStatus(models.TextChoices):
    HOUSED = "housed", "Housed"
    WITH_FAMILY = "with_family", "With family"
    TRANSITIONAL = "transitional", "Transitional housing"
    SHELTER = "shelter", "Shelter"
    TRANSIENT = "transient", "Transient/homeless"


class ReleasePlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    UNDER_REVIEW = "under_review", "Under board review"
    APPROVED = "approved", "Approved"
    APPROVED_WITH_CONDITIONS = "approved_with_conditions", "Approved with conditions"
    RETURNED = "returned", "Returned for revision"
    DENIED = "denied", "Denied"
    RELEASED = "released", "Released (handed to supervision)"


class Decision(models.TextChoices):
    APPROVE = "approve", "Approve"
    APPROVE_WITH_CONDITIONS = "approve_with_conditions", "Approve with conditions"
    RETURN = "return", "Return for revision"
    DENY = "deny", "Deny"


class Vote(models.TextChoices):
    APPROVE = "approve", "Approve"
    APPROVE_WITH_CONDITIONS = "approve_with_conditions", "Approve with conditions"
    RETURN = "return", "Return for revision"
    DENY = "deny", "Deny"
    ABSTAIN = "abstain", "Abstain"


class RegistrationStatus(models.TextChoices):
    COMPLIANT = "compliant", "Compliant"
    DUE = "due", "Due"
    NON_COMPLIANT = "non_compliant", "Non-compliant"
    ABSCONDER_REVIEW = "absconder_review", "Absconder review"
    ABSCONDED = "absconded", "Absconded"
    ENDED = "ended", "Ended"


class RegistrationEventKind(models.TextChoices):
    INITIAL = "initial", "Initial registration"
    PERIODIC = "periodic", "Periodic verification"
    RESIDENCE = "residence", "Change of residence"
    EMPLOYMENT = "employment", "Change of employment"
    SCHOOL = "school", "Change of school/student status"
    NAME = "name", "Change of name"
    VEHICLE = "vehicle", "Change of vehicle"
    INTERNET = "internet", "Change of internet identifier"
    TRAVEL = "travel", "Travel notice"


class VerificationResult(models.TextChoices):
    VERIFIED = "verified", "Verified"
    NOT_AT_ADDRESS = "not_at_address", "Not at address"
    VACANT = "vacant", "Vacant"
    REFUSED = "refused", "Refused"
    OTHER = "other", "Other"


class AlertSeverity(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"
