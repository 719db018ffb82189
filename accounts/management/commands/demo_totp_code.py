"""Print the current TOTP code of a demo user, so that a demo can sign in as regulator staff."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.totp import totp_code, totp_secret_of

DEMO_EMAIL_DOMAIN = "@demo.odr.cn"


class Command(BaseCommand):
    help = (
        "Print the current 6-digit code of a user's TOTP authenticator. For the demo only: "
        f"refused unless DEBUG is on or the email ends with {DEMO_EMAIL_DOMAIN}."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("email", help="email address of the user")

    def handle(self, *args, email: str, **options) -> None:
        email = email.strip().lower()
        if not (settings.DEBUG or email.endswith(DEMO_EMAIL_DOMAIN)):
            raise CommandError(
                f"Refusing to reveal a second factor: {email} is not a demo account "
                f"(*{DEMO_EMAIL_DOMAIN}) and DEBUG is off."
            )
        user = get_user_model()._default_manager.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No user with the email address {email}.")
        secret = totp_secret_of(user)
        if secret is None:
            raise CommandError(f"{email} has no TOTP authenticator.")
        self.stdout.write(totp_code(secret))
