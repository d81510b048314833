"""WSGI entry point (gunicorn sartcm.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sartcm.settings")
application = get_wsgi_application()

from sartcm.startup import prepare_to_serve  # noqa: E402 - after Django is set up

prepare_to_serve()
