"""WSGI entry point (gunicorn odr.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "odr.settings")

application = get_wsgi_application()
