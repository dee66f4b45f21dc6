"""Celery for real: a Redis broker and a worker process deliver the outbox; with the broker
down nothing is lost, and the sweep command delivers it later, once.

These run the producer and the worker as separate processes against the test database
(committed data: ``transactional_db``), so they need PostgreSQL and Redis.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.db import connection

from registry.models import Notification
from tests.factories import UserFactory

REPO = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker():
    try:
        client = redis.Redis.from_url(BROKER, socket_connect_timeout=1)
        client.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {BROKER}: CI must run the real-broker test")
        pytest.skip(f"Redis is not reachable at {BROKER}")
    client.flushdb()
    yield BROKER
    client.flushdb()


def _env(tmp_path, broker_url):
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "worker-test-key",
        "DATABASE_URL": f"postgres://{db['USER']}@{host}:{port}/{db['NAME']}",
        "CELERY_BROKER_URL": broker_url,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "CONN_MAX_AGE": "0",
    }


QUEUE_ONE = (
    "import django; django.setup();"
    "from django.db import transaction;"
    "from accounts.models import User;"
    "from registry.services.notifications import notification_queue;"
    "user = User.objects.get(username='owner');"
    "\nwith transaction.atomic():\n"
    "    n = notification_queue(to=user, subject='Approved: Competitive GPT', body='It is approved.')\n"
    "print(n.pk)"
)


def _sent_files(tmp_path):
    mail_dir = tmp_path / "mail"
    return sorted(mail_dir.glob("*.log")) if mail_dir.exists() else []


def test_a_real_worker_delivers_through_redis(broker, tmp_path):
    UserFactory(username="owner", email="owner@example.com")
    env = _env(tmp_path, broker)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        produced = subprocess.run(
            [sys.executable, "-c", QUEUE_ONE], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
        )
        assert produced.returncode == 0, produced.stderr
        notification_id = int(produced.stdout.strip().splitlines()[-1])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            notification = Notification.objects.get(pk=notification_id)
            if notification.sent_at:
                break
            time.sleep(0.3)
        assert notification.sent_at is not None, "the worker did not deliver within 30 s"
        assert notification.attempts == 1
        files = _sent_files(tmp_path)
        assert len(files) == 1 and "Approved: Competitive GPT" in files[0].read_text()
    finally:
        worker.terminate()
        worker.wait(timeout=20)


def test_with_the_broker_down_nothing_is_lost_and_nothing_is_sent_twice(broker, tmp_path):
    UserFactory(username="owner", email="owner@example.com")
    down = _env(tmp_path, "redis://127.0.0.1:6399/0")  # nothing listens there
    started = time.monotonic()
    produced = subprocess.run(
        [sys.executable, "-c", QUEUE_ONE], cwd=REPO, env=down, capture_output=True, text=True, timeout=60
    )
    assert produced.returncode == 0, produced.stderr
    assert time.monotonic() - started < 30  # the write does not hang on the broker
    notification = Notification.objects.get(pk=int(produced.stdout.strip().splitlines()[-1]))
    assert notification.sent_at is None  # kept in the outbox

    env = _env(tmp_path, broker)
    for _ in range(2):  # the sweep runs twice (as beat would): one email
        swept = subprocess.run(
            [sys.executable, "manage.py", "deliver_notifications"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert swept.returncode == 0, swept.stderr
    notification.refresh_from_db()
    assert notification.sent_at is not None
    assert len(_sent_files(tmp_path)) == 1
