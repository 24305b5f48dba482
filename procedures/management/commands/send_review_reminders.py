from django.core.management.base import BaseCommand

from procedures.reminders import reminder_recipients, reminders_send


class Command(BaseCommand):
    help = "E-mail the clinical reviewers about pages due for review in 30 days or today (safe to run daily)."

    def handle(self, *args, **options):
        if not reminder_recipients():
            self.stderr.write("No one to remind: add a user with an e-mail address to the Clinical reviewer group.")
        sent = reminders_send()
        for procedure, kind, recipients in sent:
            self.stdout.write(f"sent: {procedure.title} ({kind}) to {', '.join(recipients)}")
        self.stdout.write(f"{len(sent)} reminder(s) sent.")
