"""A disposable production-like stack for the resilience suite, torn down even when a test fails.

The suite stops and restarts PostgreSQL and Redis on purpose, so it never touches the machine's
shared services (the other tests and other people use them). Instead, once per session:

- ``stack_postgres``: a PostgreSQL cluster of its own (``initdb`` into a temporary directory,
  ``pg_ctl`` on a free port, run as the ``postgres`` OS user when we are root, since initdb
  refuses root), migrated and seeded with the demo accounts (``seed_demo --skip-inventories``);
- ``stack_redis``: a ``redis-server`` of its own on a free port, in memory only;
- ``stack``: gunicorn serving the app with the production settings (``DEBUG=0``,
  ``config/gunicorn.conf.py``) against both, the file email backend writing into a temporary
  directory, and an API token for each demo account.

Tests reach the app over HTTP only, and count rows with their own SQL connection to the
disposable database. The tests are skipped, with the reason, only when the PostgreSQL server
binaries or ``redis-server`` are not installed; in CI (``CI`` set) that is a failure instead.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("RESILIENCE_PG_BIN", "/usr/lib/postgresql/15/bin"))
DEMO_PASSWORD = "resilience-demo-password"
#: The demo accounts the suite logs in with (created by ``seed_demo``).
ACCOUNTS = ("builder", "reviewer", "admin")


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on now (bound to port 0, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, interval: float = 0.1):
    """Call ``predicate`` until it returns a truthy value (returned) or ``timeout`` seconds pass
    (AssertionError naming ``what``)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(interval)


def _missing(what: str):
    if os.environ.get("CI"):
        pytest.fail(f"{what}: CI must run the resilience suite")
    pytest.skip(what)


def stop_process(process: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM ``process`` (we started it), then SIGKILL if it has not exited within ``timeout``."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# --- PostgreSQL ------------------------------------------------------------------------------------


@dataclass
class DisposablePostgres:
    """A PostgreSQL cluster in ``datadir`` listening on 127.0.0.1:``port`` only."""

    datadir: Path
    port: int
    dbname: str = "registry"
    as_postgres: list = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{self.dbname}"

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [*self.as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(self.datadir), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=check)

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.datadir}"
        self._pg_ctl("-o", options, "-l", str(self.datadir / "server.log"), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """``mode``: ``fast`` (roll back open transactions, clean shutdown) or ``immediate``
        (every server process killed: recovery from the WAL at the next start)."""
        self._pg_ctl("-m", mode, "-w", "-t", "60", "stop")

    def is_running(self) -> bool:
        return self._pg_ctl("status", check=False).returncode == 0

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=self.dbname)

    def scalar(self, sql: str, params=()) -> object:
        with self.connect() as conn:
            return conn.execute(sql, params).fetchone()[0]

    def rows(self, sql: str, params=()) -> list[tuple]:
        with self.connect() as conn:
            return conn.execute(sql, params).fetchall()


@pytest.fixture(scope="session")
def stack_postgres():
    """A migrated disposable PostgreSQL cluster (see the module docstring); removed afterwards."""
    if not (PG_BIN / "initdb").exists():
        _missing(f"the PostgreSQL server binaries are not installed ({PG_BIN}/initdb is missing)")
    as_postgres = []
    if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to the postgres OS user
        as_postgres = ["runuser", "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="resilience-pg-"))
    datadir = root / "data"
    if as_postgres:
        shutil.chown(root, "postgres", "postgres")
    instance = DisposablePostgres(datadir=datadir, port=free_port(), as_postgres=as_postgres)
    try:
        subprocess.run(
            [*as_postgres, str(PG_BIN / "initdb"), "-D", str(datadir), "-U", "postgres", "-A", "trust"]
            + ["-E", "UTF8", "--no-sync"],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        instance.start()
        with psycopg.connect(
            host="127.0.0.1", port=instance.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f"CREATE DATABASE {instance.dbname}")
        yield instance
    finally:
        if instance.is_running():
            instance.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


# --- Redis -----------------------------------------------------------------------------------------


@dataclass
class DisposableRedis:
    """``redis-server`` on 127.0.0.1:``port``, in memory only (no RDB, no AOF)."""

    port: int
    logfile: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
            + ["no", "--logfile", str(self.logfile)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, 15, f"redis-server on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None

    def _answers(self) -> bool:
        import redis

        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
        except redis.exceptions.ConnectionError:
            return False


@pytest.fixture(scope="session")
def stack_redis(tmp_path_factory):
    """A disposable Redis broker (see the module docstring); stopped afterwards."""
    if shutil.which("redis-server") is None:
        _missing("redis-server is not installed")
    instance = DisposableRedis(port=free_port(), logfile=tmp_path_factory.mktemp("redis") / "redis.log")
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()


# --- the app -------------------------------------------------------------------------------------


@dataclass
class Stack:
    """The app served by gunicorn against the disposable services."""

    base_url: str
    env: dict
    postgres: DisposablePostgres
    redis: DisposableRedis
    mail_dir: Path
    log: Path
    tokens: dict

    def session(self, username: str = "builder") -> requests.Session:
        """A client authenticated with ``username``'s API token."""
        client = requests.Session()
        client.headers["Authorization"] = f"Token {self.tokens[username]}"
        return client

    def login(self, username: str) -> requests.Session:
        """A browser-like client logged in on the login page (session cookie)."""
        client = requests.Session()
        client.get(f"{self.base_url}/accounts/login/", timeout=30)
        response = client.post(
            f"{self.base_url}/accounts/login/",
            data={
                "username": username,
                "password": DEMO_PASSWORD,
                "csrfmiddlewaretoken": client.cookies["csrftoken"],
            },
            headers={"Referer": f"{self.base_url}/accounts/login/"},
            timeout=30,
            allow_redirects=False,
        )
        assert response.status_code == 302, f"login as {username}: {response.status_code}"
        return client

    def manage(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """Run ``manage.py`` with the app's environment; fails the test if it fails."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done


def app_env(*, database_url: str, broker_url: str, mail_dir: Path, static_root: Path) -> dict:
    """The production settings (DEBUG off) for plain http on loopback."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": "resilience-suite-secret-key-not-for-production-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Plain http on loopback: no secure-only cookies, no redirect to https.
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "STATIC_ROOT": str(static_root),
        "DEMO_PASSWORD": DEMO_PASSWORD,
        "LOG_LEVEL": "WARNING",
        # Hostile-input and load runs fail many logins on purpose: never lock the suite out.
        "AXES_FAILURE_LIMIT": "1000000",
    }


@pytest.fixture(scope="session")
def stack(stack_postgres, stack_redis, tmp_path_factory):
    """gunicorn (``config/gunicorn.conf.py``, 4 sync workers) on a free port, production settings,
    the disposable PostgreSQL and Redis; API tokens for ``ACCOUNTS``. Stopped afterwards."""
    work = tmp_path_factory.mktemp("stack")
    env = app_env(
        database_url=stack_postgres.url,
        broker_url=stack_redis.url,
        mail_dir=work / "mail",
        static_root=work / "static",
    )
    port = free_port()
    env.update({"GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "4", "GUNICORN_TIMEOUT": "30"})
    stack = Stack(
        base_url=f"http://127.0.0.1:{port}",
        env=env,
        postgres=stack_postgres,
        redis=stack_redis,
        mail_dir=work / "mail",
        log=work / "gunicorn.log",
        tokens={},
    )
    # collectstatic (the manifest the production storage needs) runs beside the migrations.
    collectstatic = subprocess.Popen(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        stack.manage("migrate", "--noinput", "-v0")
        stack.manage("seed_demo", "--force", "--skip-inventories")
        output, _ = collectstatic.communicate(timeout=300)
        assert collectstatic.returncode == 0, output
    finally:
        stop_process(collectstatic)
    with open(stack.log, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:

        def healthy():
            assert server.poll() is None, f"gunicorn exited:\n{stack.log.read_text()}"
            try:
                return requests.get(f"{stack.base_url}/healthz", timeout=5).status_code == 200
            except requests.RequestException:  # not listening yet, or workers still starting
                return False

        wait_for(healthy, 60, "gunicorn answering /healthz")
        for username in ACCOUNTS:
            response = requests.post(
                f"{stack.base_url}/api/auth/token/",
                json={"username": username, "password": DEMO_PASSWORD},
                timeout=10,
            )
            assert response.status_code == 200, response.text
            stack.tokens[username] = response.json()["token"]
        yield stack
    finally:
        stop_process(server, timeout=35)


@pytest.fixture
def services_up(stack):
    """After the test, PostgreSQL and Redis run again whatever the test did (the next test
    shares them)."""
    yield stack
    if not stack.postgres.is_running():
        stack.postgres.start()
    if stack.redis.process is None:
        stack.redis.start()
