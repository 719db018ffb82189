from django.core.management.base import BaseCommand

from cases.sweep import sweep_deadlines


class Command(BaseCommand):
    help = "Run one deadline sweep now (what beat runs every minute) and print what it did."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args, batch_size=None, **options):
        report = sweep_deadlines(batch_size=batch_size)
        self.stdout.write(f"Swept {report}")
