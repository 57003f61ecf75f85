"""The three roles, as Django groups with permissions.

Group membership is the source of truth for roles; `accounts.services.roles_sync`
(called from a data migration and from seed_demo) keeps the groups' permissions
as listed here.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CLINICIAN = "clinician"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


ROLE_GROUP_NAMES: dict[Role, str] = {
    Role.CLINICIAN: "Clinicians",
    Role.SUPERVISOR: "Supervisors",
    Role.ADMIN: "Curators (admins)",
}

# (app_label, codename) per role. Curators manage the catalog through the admin.
ROLE_PERMISSIONS: dict[Role, list[tuple[str, str]]] = {
    Role.CLINICIAN: [("programs", "view_program"), ("programs", "view_provider")],
    Role.SUPERVISOR: [
        ("programs", "view_program"),
        ("programs", "view_provider"),
        ("accounts", "view_team"),
    ],
    Role.ADMIN: [
        (app, f"{action}_{model}")
        for app, model in [
            ("programs", "program"),
            ("programs", "provider"),
            ("programs", "creditoffering"),
            ("programs", "draftawaitingreview"),
            ("outcomes", "programoutcomeevidence"),
            ("supervision", "employercmepolicy"),
            ("accounts", "organization"),
            ("accounts", "team"),
            ("accounts", "teammembership"),
            ("accounts", "user"),
        ]
        for action in ("view", "add", "change", "delete")
    ]
    + [("programs", "publish_program")]
    # Admins see everything else only through the admin, read-only.
    + [
        (app, f"view_{model}")
        for app, model in [
            ("programs", "changelogentry"),
            ("programs", "importjob"),
            ("programs", "importrowerror"),
            ("programs", "programrevision"),
            ("careers", "clinicianprofile"),
            ("careers", "licence"),
            ("careers", "careergoal"),
            ("careers", "shortlistentry"),
            ("careers", "creditclaim"),
            ("supervision", "fundingrequest"),
            ("supervision", "invitation"),
            ("supervision", "reminder"),
            ("supervision", "reminderpreference"),
        ]
    ],
}
