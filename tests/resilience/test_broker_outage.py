"""Redis (the Celery broker) stopped: registrations and reviews still succeed, and their
notifications are delivered once the broker is back, each exactly once.

The answer is the notification outbox (``registry.services.notifications``): a
``Notification`` row is written in the same transaction as the change, a Celery task is asked
to send it after commit, and when that publish fails the row waits for the sweep
(``manage.py deliver_notifications``, beat's ``deliver-pending-notifications`` every minute).
Sending locks the row (``SKIP LOCKED``) and marks it sent in the send's transaction.

Everything runs for real: gunicorn and a ``celery -A config worker`` process on the disposable
Redis and PostgreSQL of ``conftest``; mail goes to the file backend, one file per email.
"""

import subprocess
import sys
import time
from collections import Counter

import pytest

from .conftest import REPO, stop_process, wait_for

pytestmark = pytest.mark.postgres


def _register_and_submit(stack, name: str) -> int:
    """Register a use case as the builder and submit it for review; returns the review's id."""
    api, base = stack.session("builder"), stack.base_url
    created = api.post(
        f"{base}/api/use-cases/",
        json={
            "name": name,
            "purpose": "Scores inbound leads from the website's contact form.",
            "kind": "automation",
            "platform": "Zapier",
            "vendors": [{"name": "OpenAI", "model": "GPT-4o"}],
        },
        timeout=30,
    )
    assert created.status_code == 201, created.text
    submitted = api.post(f"{base}/api/use-cases/{created.json()['id']}/submit/", timeout=30)
    assert submitted.status_code == 201, submitted.text
    return submitted.json()["id"]


def _request_changes(stack, review_id: int) -> None:
    """The reviewer claims the review and asks for changes (the owners are told)."""
    api, base = stack.session("reviewer"), stack.base_url
    claimed = api.post(f"{base}/api/reviews/{review_id}/claim/", timeout=30)
    assert claimed.status_code == 200, claimed.text
    decided = api.post(
        f"{base}/api/reviews/{review_id}/request-changes/",
        json={"findings": "Name the CRM fields it reads."},
        timeout=30,
    )
    assert decided.status_code == 200, decided.text


def _notifications(stack, name: str) -> list[tuple]:
    """``(id, subject, sent_at, attempts)`` of the notifications about the use case ``name``."""
    return stack.postgres.rows(
        "SELECT n.id, n.subject, n.sent_at, n.attempts FROM registry_notification n"
        " JOIN registry_usecase u ON u.id = n.use_case_id WHERE u.name = %s ORDER BY n.id",
        (name,),
    )


def _mailed_subjects(stack) -> Counter:
    """How many emails the file backend wrote, per subject."""
    subjects = Counter()
    for path in stack.mail_dir.glob("*.log") if stack.mail_dir.exists() else []:
        for line in path.read_text().splitlines():
            if line.startswith("Subject: "):
                subjects[line.removeprefix("Subject: ")] += 1
    return subjects


@pytest.fixture
def worker(services_up):
    """A real Celery worker on the disposable broker; stopped after the test."""
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--without-gossip"]
        + ["--without-mingle", "--loglevel=WARNING"],
        cwd=REPO,
        env=services_up.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield process
    stop_process(process)


def test_broker_outage_loses_no_notification_and_sends_none_twice(services_up, worker):
    stack = services_up
    before = _mailed_subjects(stack)

    # Broker up: the worker delivers on its own (the normal path, and proof the worker works).
    _register_and_submit(stack, "Lead scoring before the outage")
    wait_for(
        lambda: (
            (rows := _notifications(stack, "Lead scoring before the outage")) and all(row[2] for row in rows)
        ),
        30,
        "the worker delivering while the broker is up",
    )

    stack.redis.stop()
    started = time.monotonic()
    review_id = _register_and_submit(stack, "Lead scoring during the outage")
    _request_changes(stack, review_id)
    # The API did not wait on the dead broker (publishing fails fast).
    assert time.monotonic() - started < 20
    waiting = _notifications(stack, "Lead scoring during the outage")
    kinds = {row[1].split(":")[0] for row in waiting}
    assert {"Review requested", "Changes requested"} <= kinds, waiting
    assert all(row[2] is None for row in waiting), "nothing can be sent while the broker is down"

    stack.redis.start()
    # The sweep (what beat runs every minute), twice at the same time, beside the live worker:
    # row locks make each email go out once.
    sweeps = [
        subprocess.Popen(
            [sys.executable, "manage.py", "deliver_notifications"],
            cwd=REPO,
            env=stack.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    for sweep in sweeps:
        out, err = sweep.communicate(timeout=120)
        assert sweep.returncode == 0, err
    # A registration after the outage goes through the worker again.
    _register_and_submit(stack, "Lead scoring after the outage")
    wait_for(
        lambda: (
            (rows := _notifications(stack, "Lead scoring after the outage")) and all(row[2] for row in rows)
        ),
        30,
        "the worker delivering again once the broker is back",
    )

    rows = [
        row
        for name in ("before", "during", "after")
        for row in _notifications(stack, f"Lead scoring {name} the outage")
    ]
    assert all(sent_at is not None and attempts == 1 for _, _, sent_at, attempts in rows), rows
    assert not stack.postgres.scalar("SELECT count(*) FROM registry_notification WHERE sent_at IS NULL")
    mailed = _mailed_subjects(stack) - before
    expected = Counter(subject for _, subject, _, _ in rows)
    assert mailed == expected, f"mailed {mailed}, expected each once: {expected}"
