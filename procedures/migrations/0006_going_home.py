from django.db import migrations


class Migration(migrations.Migration):
    """`same_day` held the going-home text: named for what it holds."""

    dependencies = [("procedures", "0005_content_version")]

    operations = [
        migrations.RenameField(model_name="procedure", old_name="same_day", new_name="going_home"),
        migrations.RenameField(model_name="historicalprocedure", old_name="same_day", new_name="going_home"),
    ]
