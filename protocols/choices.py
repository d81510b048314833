from django.db import models


class ProtocolArea(models.TextChoices):
    ASSESSMENT = "assessment", "Assessment"
    TREATMENT = "treatment", "Treatment"
    CASE_MANAGEMENT = "case_management", "Case management"
    RELEASE_PLANNING = "release_planning", "Release planning"
    TRANSITION = "transition", "Transition"
    SUPERVISION = "supervision", "Supervision"
    HOUSING = "housing", "Housing"
    DATA_COLLECTION = "data_collection", "Data collection"
    VICTIM_NOTIFICATION = "victim_notification", "Victim notification"
    STAFF_TRAINING = "staff_training", "Staff training"
    POSITION_INTERNET_POSTING = (
        "position_internet_posting",
        "Position: Internet posting of offender information",
    )
    POSITION_CONTAINMENT = "position_containment", "Position: community containment"
    POSITION_FAMILY_REUNIFICATION = (
        "position_family_reunification",
        "Position: family reunification",
    )
    POSITION_POLYGRAPH = "position_polygraph", "Position: polygraph use"
    POSITION_RESIDENCE_RESTRICTIONS = (
        "position_residence_restrictions",
        "Position: residence restrictions",
    )


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ADOPTED = "adopted", "Adopted"
    RETIRED = "retired", "Retired"


class SupervisionLevel(models.TextChoices):
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"


class ContactRequirement(models.TextChoices):
    FACE_TO_FACE = "face_to_face", "Face-to-face contact"
    HOME_VISIT = "home_visit", "Home visit"
    TREATMENT_COLLATERAL = "treatment_collateral", "Treatment-provider collateral contact"
    EMPLOYMENT_VERIFICATION = "employment_verification", "Employment verification"


class RegistrationRule(models.TextChoices):
    INTERVAL_MONTHS = "interval_months", "Every N months from registration start"
    BIRTH_MONTH_QUARTERLY = (
        "birth_month_quarterly",
        "Birth month, then 3rd, 6th and 9th months after",
    )
    TRANSIENT_DAYS = "transient_days", "Transient registrants: every N days"


class Tier(models.TextChoices):
    I = "I", "Tier I"  # noqa: E741
    II = "II", "Tier II"
    III = "III", "Tier III"


class InstrumentKind(models.TextChoices):
    STATIC = "static", "Static risk"
    STABLE = "stable", "Stable dynamic needs"
    ACUTE = "acute", "Acute dynamic risk"
    GENERAL = "general", "General risk/needs"


class ConditionCategory(models.TextChoices):
    POLYGRAPH = "polygraph", "Polygraph"
    MONITORING = "monitoring", "Electronic monitoring / GPS"
    INTERNET = "internet", "Internet and devices"
    MINORS = "minors", "Contact with minors"
    VICTIM = "victim", "Victim protection"
    RESIDENCE = "residence", "Residence"
    TREATMENT = "treatment", "Treatment"
    OTHER = "other", "Other"


class ProtectedSiteKind(models.TextChoices):
    SCHOOL = "school", "School"
    CHILDCARE = "childcare", "Childcare facility"
    PARK = "park", "Park"
    PLAYGROUND = "playground", "Playground"
    OTHER = "other", "Other"


class AlertRuleCode(models.TextChoices):
    CONTACT_BEHIND = "contact_behind", "Contact standard behind"
    FIRST_CONTACT_MISSED = "first_contact_missed", "First-contact deadline missed"
    REGISTRATION_DUE_SOON = "registration_due_soon", "Registration verification due soon"
    REGISTRATION_OVERDUE = "registration_overdue", "Registration verification overdue"
    UPDATE_LATE = "update_late", "Registration update reported late"
    VERIFICATION_FAILED = "verification_failed", "Address verification failed"
    REASSESSMENT_DUE = "reassessment_due", "Reassessment due"
    RELEASE_NO_PLAN = "release_no_plan", "Release approaching without an approved plan"
    BOARD_REFERRAL = "board_referral", "Release plan referred to the board"
    TREATMENT_REPORT_MISSING = "treatment_report_missing", "Treatment report missing for the month"
    MOU_EXPIRING = "mou_expiring", "MOU expiring"
    MOU_EXPIRED = "mou_expired", "MOU expired"
    TRAINING_EXPIRING = "training_expiring", "Staff training expiring"
    TRAINING_EXPIRED = "training_expired", "Staff training expired"
    PROTOCOL_UNACKNOWLEDGED = "protocol_unacknowledged", "Protocol version not acknowledged"
