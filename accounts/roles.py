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

# (app_label, codename) per role. These are model permissions, read only by the Django admin,
# which is for operators (superusers, `cme_portal.admin_site`) alone: curators work on the app's
# own pages behind `accounts.access.curator_required`, so no role needs any permission on users,
# groups, permissions, teams, memberships, tokens or anyone's private records. The catalog
# permissions below stay for the curation workspace's own checks.
ROLE_PERMISSIONS: dict[Role, list[tuple[str, str]]] = {
    Role.CLINICIAN: [("programs", "view_program"), ("programs", "view_provider")],
    Role.SUPERVISOR: [("programs", "view_program"), ("programs", "view_provider")],
    Role.ADMIN: [
        (app, f"{action}_{model}")
        for app, model in [
            ("programs", "program"),
            ("programs", "provider"),
            ("programs", "creditoffering"),
            ("programs", "draftawaitingreview"),
            ("outcomes", "programoutcomeevidence"),
            ("supervision", "employercmepolicy"),
        ]
        for action in ("view", "add", "change", "delete")
    ]
    + [("programs", "publish_program")]
    + [
        (app, f"view_{model}")
        for app, model in [
            ("programs", "changelogentry"),
            ("programs", "importjob"),
            ("programs", "importrowerror"),
            ("programs", "programrevision"),
        ]
    ],
}
