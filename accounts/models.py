import re

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# A mainland mobile number: 11 ASCII digits starting 13–19 (``\d`` would also take full-width
# and other Unicode digits).
MOBILE = re.compile(r"1[3-9][0-9]{9}")
phone_validator = RegexValidator(
    r"\A1[3-9][0-9]{9}\Z", _("Enter an 11-digit mainland mobile number, e.g. 13812341234.")
)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in, with the email address or the verified mobile phone (product §2).

    Consumers sign up with a phone and may leave the email out (it is then NULL, so that the
    unique email index holds); staff accounts have an email and may have no phone. A phone is a
    way in only once a code sent to it came back (``phone_verified``), and only one account may
    hold a verified number; an unverified number is contact information and may repeat, so that an
    abandoned sign-up never keeps a number from its owner.

    What the person may do comes from their role rows: a consumer profile, a merchant membership
    or a regulator membership.
    """

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("email address"), unique=True, null=True, blank=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    phone = models.CharField(
        _("mobile phone"), max_length=11, blank=True, validators=[phone_validator]
    )
    phone_verified = models.BooleanField(_("mobile phone verified"), default=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        indexes = [models.Index(fields=["phone"], name="user_phone_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["phone"],
                condition=models.Q(phone_verified=True),
                name="user_verified_phone_unique",
            ),
            models.CheckConstraint(
                condition=~models.Q(phone_verified=True, phone=""),
                name="user_verified_phone_not_blank",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.login_name

    @property
    def login_name(self) -> str:
        """Return what the person signs in with: the email address, or the mobile number for
        someone who signed up with a phone alone."""
        return self.email or self.phone

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name or self.login_name.split("@")[0]
