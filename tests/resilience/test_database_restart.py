"""PostgreSQL restarted under a stream of requests (the disposable cluster of ``conftest``).

The contract: while the database is down the app answers 503 with ``Retry-After`` (JSON on the
API, a short page elsewhere), never a 500 or a traceback; once it is back the app serves again
by itself within seconds (no restart of gunicorn: ``CONN_HEALTH_CHECKS`` and the 503
middleware drop dead connections); and every write the app acknowledged (2xx) is in the
database afterwards, once.
"""

import threading
import time

import pytest
import requests

from .conftest import wait_for

pytestmark = pytest.mark.postgres

#: Seconds after PostgreSQL answers again within which the app must serve 2xx again.
RECOVERY_SECONDS = 10
PREFIX = "restart-stream"


def _payload(name: str) -> dict:
    return {
        "name": name,
        "purpose": "Drafts replies to customer emails for the support team.",
        "kind": "custom_gpt",
        "platform": "ChatGPT Enterprise",
        "vendors": [{"name": "OpenAI", "model": "GPT-4o"}],
    }


class Stream:
    """Clients sending API reads, API writes and page reads in a loop until stopped; every
    answer is recorded as ``(monotonic time, kind, status, body excerpt, headers)``."""

    def __init__(self, stack, clients: int = 3):
        self.stack = stack
        self.answers: list[tuple] = []
        self.acknowledged: list[str] = []  # names of use cases answered 201
        self.attempted: list[str] = []
        self.transport_errors: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(clients)]

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _record(self, kind, response):
        with self._lock:
            self.answers.append(
                (time.monotonic(), kind, response.status_code, response.text[:300], response.headers)
            )

    def _run(self, n: int) -> None:
        api = self.stack.session("builder")
        pages = self.stack.login("builder")
        base = self.stack.base_url
        i = 0
        while not self._stop.is_set():
            i += 1
            name = f"{PREFIX}-{n}-{i}"
            try:
                read = api.get(f"{base}/api/use-cases/?page_size=5", timeout=15)
                self._record("api-read", read)
                with self._lock:
                    self.attempted.append(name)
                write = api.post(f"{base}/api/use-cases/", json=_payload(name), timeout=15)
                self._record("api-write", write)
                if write.status_code == 201:
                    with self._lock:
                        self.acknowledged.append(name)
                page = pages.get(f"{base}/", timeout=15)
                self._record("page", page)
            except requests.RequestException as error:  # the app itself must never drop a request
                with self._lock:
                    self.transport_errors.append(repr(error))
            time.sleep(0.02)

    def since(self, started: float) -> list[tuple]:
        with self._lock:
            return [answer for answer in self.answers if answer[0] >= started]


def test_database_restart_answers_503_then_recovers_and_loses_no_acknowledged_write(services_up):
    stack = services_up
    postgres = stack.postgres
    log_offset = stack.log.stat().st_size

    with Stream(stack) as stream:
        wait_for(lambda: len(stream.acknowledged) >= 5, 30, "writes acknowledged before the outage")

        postgres.stop("fast")
        down_at = time.monotonic()
        wait_for(
            lambda: {a[1] for a in stream.since(down_at) if a[2] == 503} >= {"api-read", "api-write", "page"},
            30,
            "503s on API reads, API writes and pages while PostgreSQL is down",
        )
        time.sleep(2)  # keep the outage going a little: several requests per worker meet it
        postgres.start()
        up_at = time.monotonic()

        def recovered():
            answers = stream.since(up_at)
            kinds = {a[1] for a in answers if 200 <= a[2] < 300 and a[0] > up_at}
            return kinds >= {"api-read", "api-write", "page"}

        wait_for(recovered, RECOVERY_SECONDS, "2xx again on API reads, writes and pages after restart")
        recovered_at = time.monotonic()
        time.sleep(2)  # and it stays up
        steady_from = time.monotonic() - 1.5

    assert not stream.transport_errors, stream.transport_errors[:5]
    unexpected = [a for a in stream.answers if not (200 <= a[2] < 300 or a[2] == 503)]
    assert not unexpected, [(a[1], a[2], a[3]) for a in unexpected[:5]]

    outage = [a for a in stream.since(down_at) if a[2] == 503]
    for _, kind, _, body, headers in outage:
        assert headers.get("Retry-After") == "5"
        assert "Traceback" not in body
        if kind.startswith("api"):
            assert headers["Content-Type"] == "application/json"
            assert "database is unavailable" in body
        else:
            assert "Temporarily unavailable" in body and len(body) < 300
    # Once recovered, every answer is a success: no worker is stuck on a dead connection.
    after = [a for a in stream.since(steady_from)]
    assert after and all(200 <= a[2] < 300 for a in after), [(a[1], a[2]) for a in after if a[2] >= 300]
    print(f"outage answered {len(outage)} × 503; recovered {recovered_at - up_at:.1f} s after restart")

    log = stack.log.read_bytes()[log_offset:].decode(errors="replace")
    assert "Traceback" not in log, log[-3000:]

    stored = dict(
        postgres.rows(
            "SELECT name, count(*) FROM registry_usecase WHERE name LIKE %s GROUP BY name", (f"{PREFIX}-%",)
        )
    )
    lost = set(stream.acknowledged) - set(stored)
    assert not lost, f"acknowledged but not stored: {sorted(lost)}"
    assert all(count == 1 for count in stored.values()), {k: v for k, v in stored.items() if v > 1}
    # Nothing appears that nobody asked for (a write answered 503 may or may not have committed).
    assert set(stored) <= set(stream.attempted)
