from django.db import migrations

SECTORS = [
    ("police", "Police"),
    ("mental-health", "Mental health"),
    ("addictions", "Addictions"),
    ("child-welfare", "Child welfare"),
    ("education", "Education"),
    ("housing", "Housing"),
    ("income-support", "Income support"),
    ("health-care", "Health care"),
    ("probation", "Probation"),
    ("youth-justice", "Youth justice"),
    ("victim-services", "Victim services"),
    ("community", "Community / other"),
]


def seed(apps, schema_editor):
    Sector = apps.get_model("agencies", "Sector")
    for ordering, (code, name) in enumerate(SECTORS):
        Sector.objects.update_or_create(code=code, defaults={"name": name, "ordering": ordering})


class Migration(migrations.Migration):
    dependencies = [("agencies", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
