"""Demo catalog: the listings in `demo/data/catalog.json`, loaded through the exchange-format importer.

The file is an import file in the exchange format (docs/import-format.md, JSON), so the
demo also exercises the import path: the importer's file scan, row validation and
batched writer read and store it, published as each row states. A field left out of a
row is "not known", as in any import file.

The set is a deliberate mix of higher- and lower-value programs along the selection
factors of vision.md (outcome tracking, commercial independence, interprofessional
design, career applicability), for every profession the portal serves. In file order:
real programs; higher-value (jointly accredited, interprofessional, outcomes measured);
mandated topics (opioids, substance use, implicit bias, ethics, pain); nursing, pharmacy
and PA programs; hospital-based formats (RSS, committee learning, learning from
teaching); journal-based, manuscript review and point-of-care learning; generic
clinical updates and board review; lower-value (promotional, undisclosed support,
credits only); and a draft awaiting review.

Real providers appear only with the public facts in domain.md:
- Emory University School of Medicine, Chief Medical Officer Program (verified).
- Colorado Permanente Medical Group, pediatric UTI antibiotic stewardship (verified
  ACCME Real Outcomes profile; the figures quoted are the published ones).
- University of Chicago hip-fracture and ECHO-Chicago diabetes listings: the
  activities exist, their results are NOT verified, so no outcome figures appear.
Dates, fees, leave days and time commitments of real programs are catalog estimates.
Every other provider, company and URL (on the reserved `.example` domain) is fictional.

What the exchange format cannot say (verified outcome evidence, projects, requests)
is seeded in Python by the other demo modules.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.db import transaction

from accounts.models import User
from programs.exchange.exports import json_lines
from programs.exchange.problems import FileRejected, RowProblem
from programs.exchange.reading import file_rows, file_scan
from programs.exchange.validation import row_validate
from programs.exchange.writing import records_write
from programs.models import ChangeSource, ImportFileFormat
from programs.services import UpsertOutcome

CATALOG_FILE = Path(__file__).resolve().parent / "data" / "catalog.json"


class DemoCatalogInvalid(Exception):
    """The demo catalog file does not pass the importer's checks; nothing was written."""


def catalog_records_read(path: Path = CATALOG_FILE) -> list[dict[str, Any]]:
    """The file's rows as the importer's canonical records.

    Raises DemoCatalogInvalid, naming every problem, when the importer would reject
    the file or any row, or when a row holds a field the format does not know (an
    import would ignore it; in demo data it is a typo).
    """
    try:
        with path.open("rb") as binary:
            scan = file_scan(binary, ImportFileFormat.JSON)
    except FileRejected as rejection:
        raise DemoCatalogInvalid(f"{path}: {rejection}") from rejection
    problems = [f"unknown field(s): {', '.join(scan.unknown_columns)}"] if scan.unknown_columns else []
    problems += [f"row {row}: the same identity as row {first}" for row, first in sorted(scan.duplicates.items())]
    records: list[dict[str, Any]] = []
    with path.open("rb") as binary:
        for row_number, row in file_rows(binary, ImportFileFormat.JSON):
            row_problems = [row] if isinstance(row, RowProblem) else []
            if isinstance(row, dict):
                record, row_problems = row_validate(row)
                if record is not None:
                    records.append(record)
            problems += [f"row {row_number} {p.field}: {p.message} ({p.value})" for p in row_problems]
    if problems:
        raise DemoCatalogInvalid(f"{path}: " + "; ".join(problems))
    return records


def seed_catalog(*, actor: User | None, path: Path = CATALOG_FILE) -> dict[str, int]:
    """Import the demo catalog file with each row's status; returns counts by outcome.

    Runs in one transaction and writes nothing when the file has any problem. Listings
    are identified by (provider, external_id) like any import, so a second run
    changes nothing and reports every listing unchanged.
    """
    records = catalog_records_read(path)
    counts = dict.fromkeys((UpsertOutcome.CREATED, UpsertOutcome.UPDATED, UpsertOutcome.UNCHANGED), 0)
    with transaction.atomic():
        outcomes = records_write(
            records=records, actor=actor, publish=True, import_job_id=None, source=ChangeSource.SEED
        )
    for outcome in outcomes:
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def catalog_file_records(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Exchange records (`programs.exchange.program_record`) as the catalog file holds them.

    The values are the JSON exporter's; fields that are not known (null, no values)
    are left out so each listing states only its facts.
    """
    exported = json.loads("".join(json_lines(records)))
    return [{name: value for name, value in record.items() if value not in (None, [], {})} for record in exported]


def catalog_file_text(records: Iterable[dict[str, Any]]) -> str:
    """The catalog file's text for these exchange records: one field per line, in export order.

    To regenerate the file after editing the demo listings in a database, pass it the
    records of the listings in creation order, e.g.
    `[program_record(p) for p in Program.objects.order_by("pk")]`.
    """
    listings = []
    for record in catalog_file_records(records):
        fields = ",\n".join(
            f"    {json.dumps(name)}: {json.dumps(value, ensure_ascii=False)}" for name, value in record.items()
        )
        listings.append("  {\n" + fields + "\n  }")
    return "[\n" + ",\n".join(listings) + "\n]\n"
