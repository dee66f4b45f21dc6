"""The Celery app. Settings are read from Django's settings under the ``CELERY_`` prefix.

With no ``CELERY_BROKER_URL`` the settings make tasks run inline (``task_always_eager``).
"""

import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("registry")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def keep_django_logging(**kwargs):
    """Workers and beat keep ``settings.LOGGING`` (configured when Django loads) instead of
    Celery's own handlers and format: their lines are JSON too, carrying the task id
    (``config/logs.py``). A receiver on this signal is how Celery is told to leave logging alone;
    the level then comes from ``LOG_LEVEL``, not ``--loglevel``."""
