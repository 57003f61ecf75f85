"""OpenAPI pieces drf-spectacular cannot infer: the two ways to authenticate, and which paths are documented."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class AccessTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]  # untyped base
    target_class = "api.authentication.AccessTokenAuthentication"
    name = "accessToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "A personal access token (Account → API tokens)."}


class SessionScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]  # untyped base
    target_class = "api.authentication.CsrfSessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "The browser session; CSRF token on writes.",
        }


def only_versioned_paths(endpoints: list[tuple[str, str, str, Any]], **kwargs: Any) -> list[tuple[str, str, str, Any]]:
    """Document /api/v1/... only; /api/ is the same index, kept for people who try it first."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]


# OpenAPI links: which answer feeds which next call (a created id, a program from the catalog).
# They document the workflows for clients and drive schemathesis's stateful run (tests/api).
# (source operationId, status, link name, target operationId, path parameters, request body)
FIRST_PROGRAM = "$response.body#/results/0/program/id"
PLAN_ENTRY = "$response.body#/items/0/entry_id"
PLAN_PROGRAM = "$response.body#/items/0/program_id"
LINKS: list[tuple[str, str, str, str, dict[str, str], dict[str, str] | None]] = [
    ("catalog", "200", "OpenProgram", "program", {"program_id": FIRST_PROGRAM}, None),
    ("catalog", "200", "ShortlistProgram", "shortlist_create", {}, {"program_id": FIRST_PROGRAM}),
    ("catalog", "200", "AskFundingForProgram", "funding_requests_create", {}, {"program_id": FIRST_PROGRAM}),
    ("shortlist_create", "201", "ChangeEntry", "shortlist_partial_update", {"entry_id": "$response.body#/id"}, None),
    ("shortlist_create", "201", "RemoveEntry", "shortlist_destroy", {"entry_id": "$response.body#/id"}, None),
    ("shortlist_create", "201", "ReadPlan", "plan_retrieve", {}, None),
    (
        "shortlist_list",
        "200",
        "ChangeFirstEntry",
        "shortlist_partial_update",
        {"entry_id": "$response.body#/0/id"},
        None,
    ),
    ("shortlist_list", "200", "RemoveFirstEntry", "shortlist_destroy", {"entry_id": "$response.body#/0/id"}, None),
    ("shortlist_list", "200", "OpenFirstProgram", "program", {"program_id": "$response.body#/0/program/id"}, None),
    (
        "shortlist_list",
        "200",
        "AskFundingForFirstEntry",
        "funding_requests_create",
        {},
        {"program_id": "$response.body#/0/program/id"},
    ),
    ("plan_retrieve", "200", "ChangePlannedEntry", "shortlist_partial_update", {"entry_id": PLAN_ENTRY}, None),
    ("plan_retrieve", "200", "OpenPlannedProgram", "program", {"program_id": PLAN_PROGRAM}, None),
    ("credits_create", "201", "ListCredits", "credits_list", {}, None),
    ("credits_create", "201", "ReadLicenceProgress", "licences_progress_list", {}, None),
    (
        "funding_requests_create",
        "201",
        "ReadRequest",
        "funding_request",
        {"request_id": "$response.body#/request/id"},
        None,
    ),
    ("funding_requests_create", "201", "ListRequests", "funding_requests_list", {}, None),
    (
        "funding_requests_list",
        "200",
        "ReadFirstRequest",
        "funding_request",
        {"request_id": "$response.body#/results/0/id"},
        None,
    ),
]


def add_links(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Write LINKS into the responses they start from; a link to an operation not in the schema is an error."""
    operations = {
        operation["operationId"]: operation
        for methods in result.get("paths", {}).values()
        for operation in methods.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    for source, status, name, target, parameters, body in LINKS:
        if target not in operations:
            raise KeyError(f"OpenAPI link {name} goes to {target}, which the schema does not have")
        link: dict[str, Any] = {"operationId": target}
        if parameters:
            link["parameters"] = parameters
        if body is not None:
            link["requestBody"] = body
        operations[source]["responses"][status].setdefault("links", {})[name] = link
    return result
