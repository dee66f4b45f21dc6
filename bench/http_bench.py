"""Benchmark: the registry's pages and API over HTTP, against gunicorn with the production settings.

Needs a database filled by ``seed_scale`` (100,000 use cases by default); the benchmark only
adds its own four sign-in accounts (``bench-staff``, ``bench-reviewer``, ``bench-responder``,
``bench-curator``) and an API token, and changes nothing else.

    createdb -h 127.0.0.1 -U postgres registry_scale
    DATABASE_URL=postgres://postgres@127.0.0.1/registry_scale DEBUG=1 .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1/registry_scale DEBUG=1 .venv/bin/python manage.py seed_scale
    .venv/bin/python bench/http_bench.py                      # every scenario, 100 requests each
    .venv/bin/python bench/http_bench.py --only catalog,search-many --requests 300
    .venv/bin/python bench/http_bench.py --json bench-results.json

What it does: starts ``gunicorn -c config/gunicorn.conf.py config.wsgi`` (DEBUG off, the
production settings, with HTTPS assumed to be terminated by a proxy: it sends
``X-Forwarded-Proto: https``) on a free loopback port; for each scenario sends ``--warmup``
requests, then ``--requests`` timed ones one after another on a kept-alive connection, and
reports p50 / p95 / max in milliseconds (time to the whole body). Every answer must be 200: any
other status stops the run with the URL. Then throughput: ``--clients`` concurrent clients for
``--duration`` seconds on the API list (with ``wrk`` when installed, Debian package ``wrk``;
otherwise Python threads), reporting requests per second and errors.

Targets (issue 8): every page and API list p95 ≤ 100 ms, search p95 ≤ 150 ms, who built what
≤ 300 ms, a deep page no slower than the first, ≥ 30 requests/s on the list (10 × NetBox's 3).
"""

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1/registry_scale"
NETBOX_THROUGHPUT = 3.0  # requests/s under 8 clients, measured on NetBox with 100,000 objects


@dataclass
class Scenario:
    name: str
    path: str
    who: str  # which bench account asks: staff, reviewer, responder, curator, or "token"
    target_ms: float | None
    note: str = ""


@dataclass
class Result:
    name: str
    path: str
    requests: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    target_ms: float | None
    note: str

    @property
    def verdict(self) -> str:
        if self.target_ms is None:
            return ""
        return "met" if self.p95_ms <= self.target_ms else f"MISSED by {self.p95_ms - self.target_ms:.0f} ms"


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789")
    import django

    django.setup()


def prepare(database_url: str) -> dict:
    """Create the bench accounts and pick the scenario's objects; returns what the URLs need."""
    setup_django(database_url)
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore
    from django.db.models import Count

    from accounts.choices import RoleGroup as Role
    from accounts.models import User
    from accounts.tokens import api_token_create
    from registry.choices import LifecycleStage
    from registry.models import Credential, LibraryEntry, UseCase

    count = UseCase.objects.count()
    if count == 0:
        raise SystemExit(f"{database_url} holds no use cases: run `manage.py seed_scale` on it first")
    roles = {
        "staff": Role.STAFF,
        "reviewer": Role.SECURITY_REVIEWER,
        "responder": Role.INCIDENT_RESPONDER,
        "curator": Role.LIBRARY_CURATOR,
    }
    cookies = {}
    for key, role in roles.items():
        user, _ = User.objects.get_or_create(
            username=f"bench-{key}", defaults={"email": f"bench-{key}@bench.example", "first_name": "Bench"}
        )
        user.groups.add(Group.objects.get(name=role))
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        cookies[key] = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
    token = api_token_create(user=User.objects.get(username="bench-staff"), name="http_bench").key

    use_case = UseCase.objects.filter(lifecycle_stage=LifecycleStage.PRODUCTION).order_by("pk").first()
    shared = (
        Credential.objects.annotate(n=Count("credential_uses")).order_by("-n").values_list("pk", "n").first()
    )
    entry = LibraryEntry.objects.order_by("pk").first()
    # The position 49,950 rows into the catalog's default order (page 1,000 of 50), as the
    # "Next" links of the page and the API carry it.
    from django.db import connection

    from registry.pagination import cursor_encode

    deep_row = UseCase.objects.order_by("name", "id").values_list("name", "id")[49_949]
    # Warm-up: the registry's main tables and their indexes into PostgreSQL's buffers
    # (pg_prewarm ships with PostgreSQL), as a server that has been running a while has them.
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        cursor.execute(
            "SELECT sum(pg_prewarm(c.oid)) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i') AND (c.relname LIKE 'registry_%%' "
            "OR c.relname LIKE 'accounts_%%' OR c.relname LIKE 'django_session%%')"
        )
    # The filter whose CSV export is closest to 10,000 rows (a kind and perhaps a stage).
    kinds = UseCase.objects.values("kind", "lifecycle_stage").annotate(n=Count("id")).order_by()
    by_kind: dict = {}
    for row in kinds:
        by_kind[row["kind"]] = by_kind.get(row["kind"], 0) + row["n"]
    export_kind = min(by_kind, key=lambda kind: abs(by_kind[kind] - 10_000))
    # The rarest word and one found in about 300 use cases, for the searches.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT word, ndoc FROM ts_stat('SELECT search_vector FROM registry_usecase') "
            "WHERE word ~ '^[a-z]{6,}$' ORDER BY word"
        )
        words = cursor.fetchall()
    # (Seeded texts repeat, so the rarest word may be in a handful rather than exactly one.)
    unique_word = min(words, key=lambda row: (row[1], row[0]))[0]
    hundreds_word = min(words, key=lambda row: (abs(row[1] - 300), row[0]))[0]
    return {
        "count": count,
        "cookies": cookies,
        "token": token,
        "use_case": use_case.pk,
        "credential": shared[0],
        "credential_uses": shared[1],
        "library_entry": entry.pk if entry else None,
        "deep_cursor": cursor_encode(deep_row),
        "unique_word": unique_word,
        "export_kind": export_kind,
        "hundreds_word": hundreds_word,
    }


def scenarios(ctx: dict, page_size: int) -> list[Scenario]:
    deep_page = max(1, min(ctx["count"] // page_size, 1000))
    return [
        Scenario("catalog", "/use-cases/", "staff", 100, "first page, default order"),
        Scenario(
            "catalog-deep",
            f"/use-cases/?after={ctx['deep_cursor']}&page=1000",
            "staff",
            100,
            "page 1,000 (49,950 rows in) by its Next link (keyset cursor)",
        ),
        Scenario(
            "catalog-offset",
            f"/use-cases/?page={deep_page}",
            "staff",
            None,
            f"a bookmarked ?page={deep_page} (offset: {(deep_page - 1) * page_size:,} rows skipped)",
        ),
        Scenario("filtered", "/use-cases/?stage=production&risk_tier=high", "staff", 100, "two filters"),
        Scenario(
            "search-one", f"/use-cases/?q={ctx['unique_word']}", "staff", 150, f"“{ctx['unique_word']}”"
        ),
        Scenario(
            "search-hundreds",
            f"/use-cases/?q={ctx['hundreds_word']}",
            "staff",
            150,
            f"“{ctx['hundreds_word']}”",
        ),
        Scenario("search-thousands", "/use-cases/?q=chatbot", "staff", 150, "“chatbot”"),
        Scenario("search-many", "/use-cases/?q=data", "staff", 150, "“data”"),
        Scenario("use-case", f"/use-cases/{ctx['use_case']}/", "staff", 100, "use case page"),
        Scenario("api-list", "/api/use-cases/", "token", 100, "50 per page"),
        Scenario("api-filtered", "/api/use-cases/?stage=production&risk_tier=high", "token", 100, ""),
        Scenario("api-search", "/api/use-cases/?search=data", "token", 150, ""),
        Scenario(
            "api-deep",
            f"/api/use-cases/?cursor=n.{ctx['deep_cursor']}&page=1000",
            "token",
            100,
            "page 1,000 by its next link (keyset cursor)",
        ),
        Scenario("api-detail", f"/api/use-cases/{ctx['use_case']}/", "token", 100, ""),
        Scenario("review-queue", "/reviews/", "reviewer", 100, "open reviews, riskiest first"),
        Scenario("library", "/library/", "staff", 100, ""),
        Scenario(
            "who-built-what",
            "/who-built-what/?" + urlencode({"credential": ctx["credential"]}),
            "responder",
            300,
            f"credential used by {ctx['credential_uses']:,} use cases",
        ),
        Scenario("dashboard", "/dashboard/", "curator", 100, "whole estate"),
        Scenario(
            "csv-export", f"/use-cases/export.csv?kind={ctx['export_kind']}", "staff", None, "CSV export"
        ),
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(database_url: str, port: int, workers: int | None, log_path: Path) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789"),
        ALLOWED_HOSTS="127.0.0.1",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
        LOG_LEVEL="WARNING",
    )
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    # The production static storage serves hashed names from the manifest collectstatic writes.
    subprocess.run(
        [str(ROOT / ".venv/bin/python"), "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    log = open(log_path, "w")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-c", "config/gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited ({process.returncode}); see {log_path}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz", headers={"X-Forwarded-Proto": "https"})
            if conn.getresponse().status in (200, 503):
                return process
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer within 60 s; see {log_path}")


def headers_for(ctx: dict, who: str) -> dict:
    headers = {"X-Forwarded-Proto": "https", "Accept-Encoding": "identity"}
    if who == "token":
        headers["Authorization"] = f"Token {ctx['token']}"
    else:
        headers["Cookie"] = ctx["cookies"][who]
    return headers


def fetch(conn: http.client.HTTPConnection, path: str, headers: dict) -> tuple[int, bytes]:
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def measure(port: int, ctx: dict, scenario: Scenario, requests: int, warmup: int) -> tuple[Result, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = headers_for(ctx, scenario.who)
    body = b""
    for _ in range(warmup):
        status, body = fetch(conn, scenario.path, headers)
        if status != 200:
            raise SystemExit(f"{scenario.name}: {scenario.path} answered {status}: {body[:300]!r}")
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        status, body = fetch(conn, scenario.path, headers)
        timings.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise SystemExit(f"{scenario.name}: {scenario.path} answered {status}")
    conn.close()
    timings.sort()
    p95 = timings[max(0, int(round(0.95 * len(timings))) - 1)]
    return (
        Result(
            scenario.name,
            scenario.path,
            len(timings),
            round(statistics.median(timings), 1),
            round(p95, 1),
            round(timings[-1], 1),
            scenario.target_ms,
            scenario.note,
        ),
        body,
    )


def describe(scenario: Scenario, body: bytes) -> str:
    """What the answer held (hits for a search, rows for the export), for the report."""
    text = body.decode("utf-8", "replace")
    if scenario.name == "csv-export":
        return f"{text.count(chr(10)) - 1:,} rows"
    if scenario.path.startswith("/api/") and text.startswith("{"):
        data = json.loads(text)
        if "count" in data:
            return f"{data['count']:,} results"
    found = re.search(r'class="result-count"><strong>([\d,]+\+?)</strong>', text)
    if found:
        return f"{found.group(1)} results"
    return ""


def throughput(port: int, ctx: dict, path: str, clients: int, duration: int) -> dict:
    headers = headers_for(ctx, "token")
    if shutil.which("wrk"):
        command = ["wrk", "-t", "2", "-c", str(clients), "-d", f"{duration}s", "--latency"]
        for key, value in headers.items():
            command += ["-H", f"{key}: {value}"]
        output = subprocess.run(
            [*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True
        ).stdout
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
        total = int(re.search(r"(\d+) requests in", output).group(1))
        non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
        socket_errors = re.search(r"Socket errors: (.*)", output)
        p99 = re.search(r"99%\s+([\d.]+\w+)", output)
        return {
            "tool": "wrk",
            "requests": total,
            "requests_per_s": rate,
            "errors": int(non_2xx.group(1)) if non_2xx else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else "none",
            "p99": p99.group(1) if p99 else "",
        }
    counts = {"ok": 0, "errors": 0}
    lock = threading.Lock()
    stop = time.monotonic() + duration

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.monotonic() < stop:
            try:
                status, _ = fetch(conn, path, headers)
                ok = status == 200
            except OSError:
                ok = False
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            with lock:
                counts["ok" if ok else "errors"] += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = counts["ok"] + counts["errors"]
    return {
        "tool": "python threads",
        "requests": total,
        "requests_per_s": round(total / duration, 1),
        "errors": counts["errors"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: its config)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=int, default=30, help="seconds of the throughput run (0: skip)")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()

    ctx = prepare(args.database_url)
    from django.conf import settings

    chosen = set(filter(None, args.only.split(",")))
    todo = [s for s in scenarios(ctx, settings.CATALOG_PAGE_SIZE) if not chosen or s.name in chosen]
    port = free_port()
    log_path = Path("/tmp") / f"http_bench_gunicorn_{port}.log"
    server = start_gunicorn(args.database_url, port, args.workers, log_path)
    results, extra = [], {}
    try:
        print(f"{ctx['count']:,} use cases; gunicorn on 127.0.0.1:{port} (log {log_path})\n")
        print("| scenario | p50 ms | p95 ms | max ms | target p95 | verdict | notes |")
        print("| --- | ---: | ---: | ---: | ---: | --- | --- |")
        for scenario in todo:
            result, body = measure(port, ctx, scenario, args.requests, args.warmup)
            seen = describe(scenario, body)
            result.note = "; ".join(filter(None, [result.note, seen]))
            results.append(result)
            target = f"{result.target_ms:.0f}" if result.target_ms else "–"
            print(
                f"| {result.name} | {result.p50_ms} | {result.p95_ms} | {result.max_ms} | {target} "
                f"| {result.verdict} | {result.note} |",
                flush=True,
            )
        if args.duration:
            extra = throughput(port, ctx, "/api/use-cases/", args.clients, args.duration)
            extra["vs_netbox"] = round(extra["requests_per_s"] / NETBOX_THROUGHPUT, 1)
            print(
                f"\nthroughput, {args.clients} clients × {args.duration} s on /api/use-cases/ "
                f"({extra['tool']}): "
                f"{extra['requests_per_s']:.1f} requests/s, {extra['requests']:,} requests, "
                f"{extra['errors']} errors ({extra['vs_netbox']}× NetBox's {NETBOX_THROUGHPUT:.0f}/s)"
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"use_cases": ctx["count"], "results": [asdict(r) for r in results], "throughput": extra},
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
