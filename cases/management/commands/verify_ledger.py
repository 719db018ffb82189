import sys

from django.core.management.base import BaseCommand

from cases.ledger import ledger_verify
from cases.models import Case, CaseEvent


class Command(BaseCommand):
    help = "Verify every case's event hash chain; exit with status 1 at the first broken link."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="report every broken chain")

    def handle(self, *args, all=False, **options):
        broken = 0
        for link in ledger_verify():
            broken += 1
            self.stderr.write(f"BROKEN: {link}")
            if not all:
                break
        if broken:
            sys.exit(1)
        cases, events = Case.objects.count(), CaseEvent.objects.count()
        self.stdout.write(f"OK: {cases} case chain(s), {events} event(s) verified.")
