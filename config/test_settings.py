"""Settings for the test suite: the real settings, plus what tests need to run anywhere."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-insecure-key")

from .settings import *  # noqa: E402,F403
from .settings import STORAGES  # noqa: E402

# Fast hashing: tests create many accounts; production keeps Django's default.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# No collectstatic manifest in tests.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# WhiteNoise serves from the finders in tests (no collectstatic output to look for).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
# The test client and the browser journeys' live server speak plain http: no redirect to https
# (tests/test_deploy.py checks the production value and the headers on a secure request).
SECURE_SSL_REDIRECT = False
