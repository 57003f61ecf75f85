"""The Celery application. Tasks live in each app's tasks.py and only call services."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cme_portal.settings")

app = Celery("cme_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
