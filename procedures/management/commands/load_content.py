from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from procedures.content import ContentInvalid, content_load


class Command(BaseCommand):
    help = "Load content/ (site.yaml, procedures/*.md, clinics.yaml) into the database, all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=str(settings.CONTENT_DIR), help="content folder (default: %(default)s)")
        parser.add_argument(
            "--force",
            action="store_true",
            help="take the file even where the record was also edited in the admin (the edit stays in history)",
        )

    def handle(self, *args, dir, force, **options):
        try:
            report = content_load(dir, force=force)
        except ContentInvalid as invalid:
            raise CommandError(
                f"Nothing was loaded: {len(invalid.errors)} problem(s) in the content files.\n{invalid}"
            ) from None
        self.stdout.write(report.summary())
