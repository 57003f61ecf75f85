"""Production settings for the slow-client test's gunicorn (tests/test_deployment.py).

Exactly cme_portal.settings (ENVIRONMENT=production from the environment), but static files
through the plain storage: the test has no collectstatic manifest, and serves no static file.
"""

from cme_portal.settings import *  # noqa: F403
from cme_portal.settings import STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
