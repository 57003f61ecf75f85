"""seed_synthetic: valid published listings for benchmarks, N more on each run."""

import io

import pytest
from django.core.management import call_command

from programs.exchange.format import program_record
from programs.exchange.validation import row_validate
from programs.models import CreditOffering, Program, ProgramStatus

pytestmark = pytest.mark.django_db


def test_seed_synthetic_adds_the_asked_number_of_valid_published_listings_on_each_run():
    output = io.StringIO()
    call_command("seed_synthetic", programs=25, stdout=output)
    assert output.getvalue().startswith("Inserted 25 synthetic programs in ")
    call_command("seed_synthetic", programs=5, seed=8, stdout=io.StringIO())
    programs = list(Program.objects.select_related("provider").prefetch_related("credit_offerings").order_by("pk"))
    assert [p.external_id for p in programs] == [f"SYN-{n:07d}" for n in range(30)]
    assert {p.status for p in programs} == {ProgramStatus.PUBLISHED}
    assert CreditOffering.objects.filter(program__in=programs).values("program").distinct().count() == 30
    for program in programs:
        record, problems = row_validate(program_record(program))
        assert problems == [] and record is not None, (program.external_id, problems)
