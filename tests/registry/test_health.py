"""``GET /healthz`` against real services: the real Redis, a port nothing listens on, and a
database the app cannot reach (a separate process configured with an unreachable
``DATABASE_URL``, as a web process would be when its database is down)."""

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO_ROOT

REAL_REDIS = ("127.0.0.1", 6379)


def _listening(host, port):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _unused_port():
    """A TCP port nothing listens on: bound once by us, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert not _listening("127.0.0.1", port)
    return port


@pytest.fixture
def real_redis():
    if not _listening(*REAL_REDIS):
        if os.environ.get("CI"):
            pytest.fail("Redis must run on 127.0.0.1:6379 in CI (.ci/run starts it)")
        pytest.skip("needs Redis on 127.0.0.1:6379")
    return "redis://127.0.0.1:6379/0"


def _get_healthz(client):
    started = time.monotonic()
    response = client.get("/healthz")
    return response, time.monotonic() - started


@pytest.mark.django_db
def test_no_broker_configured(client, settings):
    settings.CELERY_BROKER_URL = ""

    response, _ = _get_healthz(client)

    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("status", "database", "broker")} == {
        "status": "ok",
        "database": "ok",
        "broker": "not configured",
    }


@pytest.mark.django_db
def test_real_redis_is_ok(client, settings, real_redis):
    settings.CELERY_BROKER_URL = real_redis

    response, elapsed = _get_healthz(client)

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"], body["broker"]) == ("ok", "ok", "ok")
    assert elapsed < 1.5


@pytest.mark.django_db
def test_broker_down_is_degraded_but_still_200_and_fast(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_unused_port()}/0"

    response, elapsed = _get_healthz(client)

    # The web keeps serving (tasks are enqueued after commit): monitors alert, the load
    # balancer keeps the process.
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"], body["broker"]) == ("degraded", "ok", "down")
    assert elapsed < 1.5


@pytest.mark.django_db
def test_a_broker_that_accepts_but_never_answers_is_down_within_the_time_limit(client, settings):
    # A real listening socket that never replies: the connection opens, the PING hangs.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"

        response, elapsed = _get_healthz(client)

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["broker"]) == ("degraded", "down")
    assert elapsed < 1.5


@pytest.mark.django_db
def test_no_login_needed_and_not_cached(client, settings):
    settings.CELERY_BROKER_URL = ""

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


#: Runs in a fresh process: a web process whose database is unreachable answers /healthz.
_CHILD = """
import json, time
import django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from django.test import Client
started = time.monotonic()
response = Client().get("/healthz")
print(json.dumps({"status_code": response.status_code, "body": response.content.decode(),
                  "elapsed": time.monotonic() - started}))
"""


@pytest.mark.parametrize(
    "database_url",
    [
        # PostgreSQL on a port nothing listens on (port 1 is reserved; found closed below).
        "postgres://postgres@127.0.0.1:1/registry",
        # A SQLite file in a directory that does not exist: it cannot be opened.
        "sqlite:////nonexistent-directory/registry/db.sqlite3",
    ],
    ids=["postgresql", "sqlite"],
)
def test_database_down_answers_503_without_a_traceback(database_url):
    assert not _listening("127.0.0.1", 1)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": "",
        "SECRET_KEY": "healthz-test",
        "DEBUG": "0",
    }

    child = subprocess.run(
        [sys.executable, "-c", _CHILD], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert child.returncode == 0, child.stderr
    result = json.loads(child.stdout.strip().splitlines()[-1])
    assert result["status_code"] == 503
    body = json.loads(result["body"])
    assert (body["status"], body["database"], body["broker"]) == ("down", "down", "not configured")
    assert "Traceback" not in result["body"]
    assert result["elapsed"] < 1.5
    # The failure is logged for operators (one warning line), not dumped as a traceback.
    assert "healthz: database 'default' is down" in child.stderr
    assert "Traceback" not in child.stderr
