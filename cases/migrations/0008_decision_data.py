"""Decisions store codes and data, rendered in the reader's language (``Decision.summary``).

Existing rows held prose composed in the writer's language ("Lead: TPS. Assisting: THC." or
"Responsable : TPS. Partenaires : —."): it is parsed back into data. A note that does not parse
is kept as it is.
"""

import re

from django.db import migrations, models

PLAN = [
    re.compile(r"^Lead: (?P<lead>.*?)\. Assisting: (?P<assisting>.*?)\.$"),
    re.compile(r"^Responsable\s?: (?P<lead>.*?)\. Partenaires\s?: (?P<assisting>.*?)\.$"),
]


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip() and name.strip() != "—"]


def to_data(apps, schema_editor):
    Decision = apps.get_model("cases", "Decision")
    changed = []
    kinds = ["f3_agencies", "f4_plan", "concluded"]
    for decision in Decision.objects.filter(kind__in=kinds).select_related(
        "situation"
    ).iterator(chunk_size=500):
        note = (decision.note or "").strip()
        if decision.kind == "f3_agencies" and note:
            decision.data, decision.note = {"agencies": _names(note)}, ""
        elif decision.kind == "f4_plan":
            match = next((m for p in PLAN if (m := p.match(note))), None)
            if match is None:
                continue
            decision.data = {"lead": match["lead"], "assisting": _names(match["assisting"])}
            decision.note = ""
        elif decision.kind == "concluded" and decision.situation.conclusion_reason:
            decision.data = {"reason": decision.situation.conclusion_reason}
            decision.note = decision.situation.conclusion_note or ""
        else:
            continue
        changed.append(decision)
    Decision.objects.bulk_update(changed, ["data", "note"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("cases", "0007_statuschange_audit_event")]

    operations = [
        migrations.AddField(
            model_name="decision",
            name="data",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(to_data, migrations.RunPython.noop),
    ]
