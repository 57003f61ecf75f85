"""The day a request's costs fall on, so it counts in the policy year of the program, not of the decision."""

import django.db.models
from django.db import migrations, models


def backfill_costs_on(apps, schema_editor):
    FundingRequest = apps.get_model("supervision", "FundingRequest")
    for request in FundingRequest.objects.select_related("program").only("created_at", "program__start_date"):
        asked = request.created_at.date()
        start = request.program.start_date
        request.costs_on = start if start is not None and start > asked else asked
        request.save(update_fields=["costs_on"])


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0001_initial"),
        ("programs", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="fundingrequest",
            name="costs_on",
            field=models.DateField(null=True),
        ),
        migrations.RunPython(backfill_costs_on, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="fundingrequest",
            name="costs_on",
            field=models.DateField(
                help_text="The program's start, or the day of asking when on demand or running: "
                "the policy year this request counts in.",
                verbose_name="costs fall on",
            ),
        ),
        migrations.AddIndex(
            model_name="fundingrequest",
            index=django.db.models.Index(fields=["requester", "costs_on"], name="request_requester_costs_on"),
        ),
    ]
