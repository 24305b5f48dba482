from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from procedures.content import ContentInvalid, content_load

EXIT_INVALID = 1
EXIT_CONFLICTS = 2


class Command(BaseCommand):
    help = (
        "Load content/ (site.yaml, procedures/*.md, clinics.yaml) into the database, all or nothing. "
        f"Exit status {EXIT_INVALID}: the content is invalid and nothing was loaded; "
        f"{EXIT_CONFLICTS}: loaded, but some records were left alone as conflicts."
    )

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
                f"Nothing was loaded: {len(invalid.errors)} problem(s) in the content files.\n{invalid}",
                returncode=EXIT_INVALID,
            ) from None
        self.stdout.write(report.summary())
        if report.conflicts:
            raise CommandError(
                f"{len(report.conflicts)} conflict(s) left alone (listed above); the rest was loaded.",
                returncode=EXIT_CONFLICTS,
            )
