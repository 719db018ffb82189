"""Authentication backends: Django's and allauth's, each loading the signed-in person together with
the rows that say which roles they hold (``accounts.roles``).

Every page asks for the person's roles (the second-factor middleware, the role checks of the
portals, the API's permission classes); loading them with the user in one query saves a query
per role on every request.
"""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.contrib.auth.backends import UserModel

from .roles import ROLE_RELATIONS


class _UserWithRoles:
    def get_user(self, user_id):
        users = UserModel._default_manager.select_related(*ROLE_RELATIONS)
        try:
            user = users.get(pk=user_id)
        except UserModel.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


class ModelBackend(_UserWithRoles, DjangoModelBackend):
    """Django's backend (the admin's sign-in), with the roles loaded with the user."""


class AuthenticationBackend(_UserWithRoles, AllauthBackend):
    """allauth's backend (email or phone sign-in), with the roles loaded with the user."""
