"""The Celery app. Settings are read from Django's settings under the ``CELERY_`` prefix.

With no ``CELERY_BROKER_URL`` the settings make tasks run inline (``task_always_eager``).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("registry")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
