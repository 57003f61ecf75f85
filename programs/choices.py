"""Controlled vocabularies of the exchange format (import-format.md) and ACCME terms.

The codes are the stored values and the exchange-format values; never rename one.
Code sets stored as bit masks (see programs.fields.CodeSetField) use the order of
the members below as bit positions: only ever append new members.
"""

from django.db import models


class Accreditor(models.TextChoices):
    ACCME = "accme", "ACCME"
    STATE = "state", "State medical society (recognized accreditor)"
    JOINT_ACCREDITATION = "joint_accreditation", "Joint Accreditation (JA-IPCE)"
    ANCC = "ancc", "ANCC"
    ACPE = "acpe", "ACPE"
    AAPA = "aapa", "AAPA"
    OTHER = "other", "Other accreditor"
    NONE = "none", "Not accredited"


RECOGNIZED_ACCREDITORS = frozenset(
    {
        Accreditor.ACCME,
        Accreditor.STATE,
        Accreditor.JOINT_ACCREDITATION,
        Accreditor.ANCC,
        Accreditor.ACPE,
        Accreditor.AAPA,
    }
)


class AccreditationStatus(models.TextChoices):
    PROVISIONAL = "provisional", "Provisional accreditation (2 years)"
    ACCREDITED = "accredited", "Accreditation (4 years)"
    COMMENDATION = "commendation", "Accreditation with commendation (6 years)"


class ActivityFormat(models.TextChoices):
    COURSE = "course", "Course (live)"
    RSS = "rss", "Regularly scheduled series"
    ENDURING = "enduring", "Enduring material"
    JOURNAL = "journal", "Journal-based CME"
    MANUSCRIPT_REVIEW = "manuscript_review", "Manuscript review"
    TEST_ITEM_WRITING = "test_item_writing", "Test-item writing"
    COMMITTEE_LEARNING = "committee_learning", "Committee learning"
    PI_CME = "pi_cme", "Performance / quality improvement (PI-CME)"
    INTERNET_SEARCHING = "internet_searching", "Internet searching and learning"
    LEARNING_FROM_TEACHING = "learning_from_teaching", "Learning from teaching"
    OTHER = "other", "Other / blended"


class Delivery(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    LIVE_ONLINE = "live_online", "Live online"
    SELF_PACED_ONLINE = "self_paced_online", "Self-paced online"
    HYBRID = "hybrid", "Hybrid"


class CreditType(models.TextChoices):
    AMA_PRA_1 = "ama_pra_1", "AMA PRA Category 1 Credit"
    AMA_PRA_2 = "ama_pra_2", "AMA PRA Category 2 Credit"
    ANCC = "ancc", "ANCC nursing contact hours"
    ANCC_PHARMACOLOGY = "ancc_pharmacology", "ANCC pharmacology hours"
    ACPE = "acpe", "ACPE pharmacy CPE"
    AAPA_1 = "aapa_1", "AAPA Category 1 CME"
    IPCE = "ipce", "IPCE credit"
    MOC = "moc", "Board MOC points"


class Profession(models.TextChoices):
    PHYSICIAN = "physician", "Physician"
    NURSE = "nurse", "Nurse"
    NURSE_PRACTITIONER = "nurse_practitioner", "Nurse practitioner"
    PHYSICIAN_ASSISTANT = "physician_assistant", "Physician assistant"
    PHARMACIST = "pharmacist", "Pharmacist"
    ADMINISTRATOR = "administrator", "Administrator"
    DENTIST = "dentist", "Dentist"
    DIETITIAN = "dietitian", "Dietitian"
    PSYCHOLOGIST = "psychologist", "Psychologist"
    SOCIAL_WORKER = "social_worker", "Social worker"
    OTHER = "other", "Other profession"


class Competency(models.TextChoices):
    HEALTHCARE_FINANCE = "healthcare_finance", "Healthcare finance"
    STRATEGIC_PLANNING = "strategic_planning", "Strategic planning"
    ORGANIZATIONAL_MANAGEMENT = "organizational_management", "Organizational management"
    QUALITY_IMPROVEMENT = "quality_improvement", "Quality improvement"
    PATIENT_SAFETY = "patient_safety", "Patient safety"
    INTERPROFESSIONAL_COLLABORATION = "interprofessional_collaboration", "Interprofessional collaboration"
    COMMUNICATION = "communication", "Communication"
    CLINICAL_KNOWLEDGE = "clinical_knowledge", "Clinical knowledge"
    DATA_AND_INFORMATICS = "data_and_informatics", "Data and informatics"
    TEACHING = "teaching", "Teaching"


class CareerTrack(models.TextChoices):
    EXECUTIVE_LEADERSHIP = "executive_leadership", "Executive leadership"
    QUALITY_IMPROVEMENT = "quality_improvement", "Quality-improvement leadership"
    ADVANCED_PRACTICE = "advanced_practice", "Advanced-practice scope"
    CLINICAL_EXCELLENCE = "clinical_excellence", "Clinical excellence in a specialty"
    EDUCATION = "education", "Education"
    RESEARCH = "research", "Research"


class DesignedToChange(models.TextChoices):
    COMPETENCE = "competence", "Competence"
    PERFORMANCE = "performance", "Performance"
    PATIENT_OUTCOMES = "patient_outcomes", "Patient outcomes"


class OutcomeLevel(models.TextChoices):
    """Moore, Green & Gallis (2009) outcome levels."""

    PARTICIPATION = "1", "Level 1: participation"
    SATISFACTION = "2", "Level 2: satisfaction"
    DECLARATIVE_KNOWLEDGE = "3a", "Level 3a: declarative knowledge"
    PROCEDURAL_KNOWLEDGE = "3b", "Level 3b: procedural knowledge"
    COMPETENCE = "4", "Level 4: competence"
    PERFORMANCE = "5", "Level 5: performance"
    PATIENT_HEALTH = "6", "Level 6: patient health"
    COMMUNITY_HEALTH = "7", "Level 7: community health"


# Ordinal rank of each Moore level, for "at least" filters and comparisons.
OUTCOME_LEVEL_RANK: dict[str, int] = {level.value: rank for rank, level in enumerate(OutcomeLevel, start=1)}


class CommercialSupport(models.TextChoices):
    NONE = "none", "No commercial support"
    DISCLOSED = "disclosed", "Commercial support, disclosed"
    UNDISCLOSED = "undisclosed", "Commercial support, not disclosed"


class ProgramStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


class MandatedTopic(models.TextChoices):
    """Topic codes that licences mandate hours for (import-format.md)."""

    OPIOIDS = "opioids", "Opioid prescribing / controlled substances"
    IMPLICIT_BIAS = "implicit_bias", "Implicit bias"
    PAIN_MANAGEMENT = "pain_management", "Pain management"
    ETHICS = "ethics", "Ethics"
    SUBSTANCE_USE_DISORDER = "substance_use_disorder", "Substance-use disorders"
