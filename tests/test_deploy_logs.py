"""Structured logs (config/logs.py): one JSON object a line, carrying the request id or the
Celery task id, and no secret.

The in-process tests read what the configured console handler writes (the test settings have
DEBUG off, so ``LOG_FORMAT`` is json as in production); the worker test runs a real Celery
worker with the production settings against Redis.
"""

import io
import json
import logging
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from celery import Celery

from config.celery import app as celery_app
from config.logs import ContextFilter, JsonFormatter, TextFormatter
from tests.registry.secret_corpus import fake_secrets

REPO = Path(__file__).resolve().parents[1]
BROKER = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def log_lines():
    """What the root logger's configured console handler writes during the test, as a function
    returning the lines parsed as JSON (every line must parse)."""
    root = logging.getLogger()
    (handler,) = [h for h in root.handlers if isinstance(h.formatter, JsonFormatter)]
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        handler.setStream(previous)


@pytest.mark.django_db
def test_a_request_logs_one_json_access_line_with_its_request_id(client, log_lines):
    response = client.get("/accounts/login/")
    lines = log_lines()
    access = [line for line in lines if line["logger"] == "access"]
    assert len(access) == 1
    (line,) = access
    assert line["request_id"] == response["X-Request-ID"] != ""
    assert (line["level"], line["method"], line["path"], line["status"]) == (
        "INFO",
        "GET",
        "/accounts/login/",
        200,
    )
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["message"] == f"GET /accounts/login/ 200 {line['duration_ms']:.1f}ms"
    assert line["time"].endswith("+00:00")


@pytest.mark.django_db
def test_every_line_of_a_request_carries_the_id_it_came_with(client, log_lines):
    # A proxy's X-Request-ID is kept; Django's own "Not Found" warning carries it like the access line.
    response = client.get("/no-such-page/", headers={"X-Request-ID": "lb-7f3a"})
    assert response.status_code == 404 and response["X-Request-ID"] == "lb-7f3a"
    lines = log_lines()
    assert {line["logger"] for line in lines} >= {"django.request", "access"}
    assert {line["request_id"] for line in lines} == {"lb-7f3a"}


@pytest.mark.django_db
def test_secrets_in_a_query_string_or_a_login_never_reach_the_logs(client, log_lines):
    fake = next(f for f in fake_secrets(3) if f.kind == "OpenAI API key")
    client.get("/use-cases/", {"q": fake.text})
    client.post("/accounts/login/", {"username": "nobody", "password": fake.text})
    lines = log_lines()
    assert [line["path"] for line in lines if line["logger"] == "access"] == [
        "/use-cases/",
        "/accounts/login/",
    ]
    output = json.dumps(lines)
    assert fake.needle not in output and fake.text not in output


@pytest.mark.django_db
def test_the_incident_acknowledgement_token_is_not_in_the_access_line(client, log_lines):
    client.get("/incidents/ack/s3cr3t-ack-token-value/")
    (line,) = [line for line in log_lines() if line["logger"] == "access"]
    assert line["path"] == "/incidents/ack/<token>/"
    assert "s3cr3t-ack-token-value" not in json.dumps(log_lines())


def test_only_the_known_extra_fields_are_written():
    """Django's django.request logger passes the request object: it must not be dumped."""
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Not Found: %s", ("/x",), None)
    record.request = "<WSGIRequest with Cookie: sessionid=abc>"
    record.status_code = 404
    ContextFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line == {
        "time": line["time"],
        "level": "WARNING",
        "logger": "django.request",
        "message": "Not Found: /x",
        "request_id": "",
        "status_code": 404,
    }


def test_an_exception_is_written_in_the_same_line():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    text = JsonFormatter().format(record)
    assert "\n" not in text
    assert "ValueError: boom" in json.loads(text)["exc_info"]


def test_the_text_format_shows_the_request_and_task_ids():
    record = logging.LogRecord("registry", logging.INFO, __file__, 1, "hello", (), None)
    record.request_id, record.task_id = "abc", "t-1"
    assert TextFormatter().format(record).endswith(" INFO registry [abc task=t-1] hello")
    bare = logging.LogRecord("registry", logging.INFO, __file__, 1, "hello", (), None)
    assert TextFormatter().format(bare).endswith(" INFO registry [-] hello")


@celery_app.task(name="tests.log_probe")
def log_probe():
    logging.getLogger("tests.log_probe").info("probe ran")


def test_a_task_logs_with_its_task_id(log_lines):
    # Inline (no broker in the test settings): the task's lines still carry its id and name.
    result = log_probe.apply()
    (line,) = [line for line in log_lines() if line["logger"] == "tests.log_probe"]
    assert (line["task_id"], line["task_name"], line["message"]) == (
        result.id,
        "tests.log_probe",
        "probe ran",
    )


@pytest.fixture
def broker():
    try:
        redis.Redis.from_url(BROKER, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {BROKER}: CI must run the real-worker test")
        pytest.skip(f"Redis is not reachable at {BROKER}")
    return BROKER


def test_a_real_worker_logs_json_lines_with_the_task_id(broker, tmp_path):
    """A worker keeps the app's logging (not Celery's own format): its lines are JSON, and a
    task's lines carry its id. Celery's built-in ``celery.accumulate`` needs no database."""
    queue = f"log-test-{uuid.uuid4().hex}"  # a queue of its own: no other test's tasks, no flush
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": "worker-log-test-key",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CELERY_BROKER_URL": broker,
        "LOG_LEVEL": "INFO",
    }
    env.pop("LOG_FORMAT", None)
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log_file:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q", queue]
            + ["--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=REPO,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    producer = Celery(broker=broker)
    try:
        sent = producer.send_task("celery.accumulate", args=(1, 2), queue=queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not re.search(rf"{sent.id}\] succeeded", log_path.read_text()):
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        producer.close()
        redis.Redis.from_url(broker).delete(queue, f"_kombu.binding.{queue}")
    output = log_path.read_text().splitlines()
    records = [json.loads(line) for line in output if line.startswith("{")]
    done = [r for r in records if r["logger"] == "celery.app.trace" and "succeeded" in r["message"]]
    assert len(done) == 1, "\n".join(output)
    assert (done[0]["task_id"], done[0]["task_name"]) == (sent.id, "celery.accumulate")
    # No line in Celery's own format ("[2026-01-01 12:00:00,000: INFO/MainProcess] ...").
    assert [line for line in output if re.match(r"^\[\d{4}-\d\d-\d\d [^]]*: [A-Z]+/", line)] == []
