from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Platform")


class PortalAdminConfig(admin_apps.AdminConfig):
    """Django's admin app with the portal's site (``core.admin_site``)."""

    default = False  # core itself is CoreConfig
    default_site = "core.admin_site.PortalAdminSite"
