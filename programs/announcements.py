"""The sentences the page's status region reads after an in-place (htmx) update of the catalog or an import.

Short and made of the figures the updated area shows, so what is heard matches what is seen.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page

from .models import ImportJob, ImportJobStatus
from .ranking.queries import RANKED_SORT, SCORE_SORT
from .selectors import CatalogFilters

IMPORT_STEP_PERCENT = 10


def catalog_sort_key(filters: CatalogFilters, *, ranked: bool) -> str:
    """The order the catalog results are really in (the ranked catalog's default is best fit)."""
    if ranked and filters.sort in ("", RANKED_SORT, SCORE_SORT):
        return filters.sort or RANKED_SORT
    return filters.effective_sort


def catalog_status(*, page: Page[Any], sort_label: str, filters_refused: bool) -> str:
    """E.g. "18 programs, page 1 of 4, sorted by best fit for your goal." """
    count = page.paginator.count
    if not count:
        text = "No program matches these filters."
    else:
        parts = [f"{count:,} program{'' if count == 1 else 's'}"]
        if page.paginator.num_pages > 1:
            parts.append(f"page {page.number} of {page.paginator.num_pages}")
        parts.append(f"sorted by {sort_label[:1].lower()}{sort_label[1:]}")
        text = ", ".join(parts) + "."
    return f"{text} Some filters were not applied." if filters_refused else text


def import_progress_step(job: ImportJob) -> str:
    """What changes the announcement: the state, and while running each 10% step ("running-40")."""
    if job.status == ImportJobStatus.RUNNING:
        return f"running-{job.percent_done // IMPORT_STEP_PERCENT * IMPORT_STEP_PERCENT}"
    return str(job.status)


def import_progress_status(job: ImportJob) -> str:
    """E.g. "Import 40% done." or "Import finished: 1,200 rows: 1,100 created, ...". Same step, same text."""
    if job.status == ImportJobStatus.QUEUED:
        return "Import queued: waiting for a worker."
    if job.status == ImportJobStatus.RUNNING:
        return f"Import {job.percent_done // IMPORT_STEP_PERCENT * IMPORT_STEP_PERCENT}% done."
    if job.status == ImportJobStatus.SUCCEEDED:
        return (
            f"Import finished: {job.rows_done:,} row{'' if job.rows_done == 1 else 's'}: "
            f"{job.created_count:,} created, {job.updated_count:,} updated, {job.held_count:,} held for review, "
            f"{job.unchanged_count:,} unchanged, {job.error_count:,} with errors."
        )
    # The box shows why in an alert; the status only names the outcome.
    return "Import failed." if job.status == ImportJobStatus.FAILED else "Import rejected: the file was not imported."
