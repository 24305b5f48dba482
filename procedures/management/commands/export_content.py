from django.conf import settings
from django.core.management.base import BaseCommand

from procedures.content import content_export


class Command(BaseCommand):
    help = "Write the database back to content files (the same format load_content reads)."

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=str(settings.CONTENT_DIR), help="content folder (default: %(default)s)")

    def handle(self, *args, dir, **options):
        for path in content_export(dir):
            self.stdout.write(f"wrote {path}")
