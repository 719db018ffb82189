"""Make a 12345 hotline token for a regulator office, on behalf of one of its supervisors."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from api.services import hotline_token_create
from core.errors import DomainError
from regulators.models import Office


class Command(BaseCommand):
    help = (
        "Make a 12345 hotline token for the office of REGION_CODE, as its supervisor EMAIL; print "
        "it once (only its SHA-256 is kept)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("region_code", help="The office's region code, e.g. 140100.")
        parser.add_argument("email", help="A supervisor of that office.")
        parser.add_argument("--name", default="12345", help="What the token is for.")

    def handle(self, *args, region_code: str, email: str, name: str, **options) -> None:
        office = Office.objects.filter(region_code=region_code).first()
        if office is None:
            raise CommandError(f"No office covers the region {region_code}.")
        actor = User.objects.filter(email=email.lower()).first()
        if actor is None:
            raise CommandError(f"No account has the email {email}.")
        try:
            token, text = hotline_token_create(office=office, actor=actor, name=name)
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"Hotline token “{token.name}” for {office.name}, until {token.expires_at:%Y-%m-%d}:"
        )
        self.stdout.write(text)
