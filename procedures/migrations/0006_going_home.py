import procedures.models
from django.db import migrations, models


class Migration(migrations.Migration):
    """`same_day` held the going-home text: named for what it holds. A clinic's default time zone is the site's."""

    dependencies = [("procedures", "0005_content_version")]

    operations = [
        migrations.RenameField(model_name="procedure", old_name="same_day", new_name="going_home"),
        migrations.RenameField(model_name="historicalprocedure", old_name="same_day", new_name="going_home"),
        migrations.AlterField(
            model_name="clinic",
            name="timezone",
            field=models.CharField(
                default=procedures.models.site_time_zone, help_text="For “open today”.", max_length=64
            ),
        ),
        migrations.AlterField(
            model_name="historicalclinic",
            name="timezone",
            field=models.CharField(
                default=procedures.models.site_time_zone, help_text="For “open today”.", max_length=64
            ),
        ),
        migrations.AlterField(
            model_name="historicalprocedure",
            name="going_home",
            field=models.CharField(help_text="When the patient goes home.", max_length=200, verbose_name="going home"),
        ),
        migrations.AlterField(
            model_name="procedure",
            name="going_home",
            field=models.CharField(help_text="When the patient goes home.", max_length=200, verbose_name="going home"),
        ),
    ]
