"""Write the 503 page as a static file, for the front server to show when no app server answers."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from sijoint_site.views import OUTAGE_TEMPLATE, outage_page_html


class Command(BaseCommand):
    help = "Render the designed 503 page (with the phone number) to STATIC_ROOT/outage/503.html for nginx."

    def add_arguments(self, parser):
        parser.add_argument("--output", default=None, help="file to write (default: STATIC_ROOT/outage/503.html)")

    def handle(self, *args, output, **options):
        path = Path(output or Path(settings.STATIC_ROOT) / "outage" / "503.html")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(outage_page_html(), encoding="utf-8")
        self.stdout.write(f"wrote {path} from {OUTAGE_TEMPLATE}")
