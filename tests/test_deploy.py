"""Production settings and the deploy/ files.

- ``manage.py check --deploy`` is clean with the production settings (DEBUG off, a real
  SECRET_KEY, ALLOWED_HOSTS and nothing else set), and the DEBUG defaults that ``make demo``
  needs (plain http) stay in place.
- A page carries the security headers and the Content-Security-Policy; plain http is redirected
  to https, except the health check.
- ``collectstatic`` with the production storage writes hashed, compressed files that WhiteNoise
  serves and the pages link to.
- ``deploy/compose.yaml`` and ``deploy/Dockerfile`` run the Makefile's commands, and
  ``deploy/.env.example`` lists every variable the settings read.

The settings are loaded in subprocesses (``config.settings``, not the test settings) so the
environment decides, as in production.
"""

import json
import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.factories import UserFactory

REPO = Path(__file__).resolve().parents[1]

#: Variables that would change what is being checked if the caller's shell happened to set them.
_SETTINGS_VARS = re.compile(
    r"^(DEBUG|SECRET_KEY|ALLOWED_HOSTS|SECURE_.*|SESSION_COOKIE_.*|CSRF_COOKIE_.*|LOG_FORMAT|STATIC_ROOT"
    r"|DATABASE_URL|CELERY_BROKER_URL|CACHE_URL|DJANGO_SETTINGS_MODULE"
    # Set by tests/e2e/conftest.py for Playwright; check --deploy rightly refuses it (async.E001).
    r"|DJANGO_ALLOW_ASYNC_UNSAFE)$"
)


def production_env(tmp_path: Path, **overrides: str) -> dict:
    """The process environment of a production deployment that set only what it must."""
    env = {key: value for key, value in os.environ.items() if not _SETTINGS_VARS.match(key)}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="registry.example.com",
        # Never the project's db.sqlite3; check --deploy does not open it anyway.
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    env.update(overrides)
    return env


def run(args: list[str], env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    done = run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_env(tmp_path),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # Only the HSTS-preload warning is silenced, on purpose (config/settings.py says why).
    assert "System check identified no issues (1 silenced)." in done.stdout


def test_check_deploy_fails_when_a_production_default_is_turned_off(tmp_path):
    """The check above can fail: turning off the https redirect is reported."""
    env = production_env(tmp_path, SECURE_SSL_REDIRECT="0")
    done = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert done.returncode != 0
    assert "security.W008" in done.stderr + done.stdout


SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name) for name in [
    "DEBUG", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
    "LOG_FORMAT", "CONTENT_SECURITY_POLICY", "STORAGES", "SILENCED_SYSTEM_CHECKS", "REST_FRAMEWORK",
]}, default=list))
"""


def settings_in(env: dict) -> dict:
    done = run([sys.executable, "-c", SHOW_SETTINGS], env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_production_defaults_are_the_secure_ones(tmp_path):
    values = settings_in(production_env(tmp_path))
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is False
    assert values["SECURE_PROXY_SSL_HEADER"] is None  # no header trusted unless configured
    assert values["SESSION_COOKIE_SECURE"] is True and values["CSRF_COOKIE_SECURE"] is True
    assert values["LOG_FORMAT"] == "json"
    assert (
        values["STORAGES"]["staticfiles"]["BACKEND"]
        == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    assert values["REST_FRAMEWORK"]["DEFAULT_RENDERER_CLASSES"] == ["rest_framework.renderers.JSONRenderer"]


def test_https_settings_come_from_the_environment(tmp_path):
    env = production_env(
        tmp_path,
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
        SECURE_HSTS_SECONDS="3600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="0",
        SECURE_HSTS_PRELOAD="1",
        LOG_FORMAT="text",
    )
    values = settings_in(env)
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert (values["SECURE_HSTS_SECONDS"], values["SECURE_HSTS_INCLUDE_SUBDOMAINS"]) == (3600, False)
    assert values["SECURE_HSTS_PRELOAD"] is True and values["SILENCED_SYSTEM_CHECKS"] == []
    assert values["LOG_FORMAT"] == "text"


def test_debug_defaults_keep_the_demo_on_plain_http(tmp_path):
    env = production_env(tmp_path, DEBUG="1")
    del env["SECRET_KEY"], env["ALLOWED_HOSTS"]  # `make demo` sets neither
    values = settings_in(env)
    assert values["DEBUG"] is True
    assert values["SECURE_SSL_REDIRECT"] is False and values["SECURE_HSTS_SECONDS"] == 0
    assert values["SESSION_COOKIE_SECURE"] is False and values["CSRF_COOKIE_SECURE"] is False
    assert values["LOG_FORMAT"] == "text"
    renderers = values["REST_FRAMEWORK"]["DEFAULT_RENDERER_CLASSES"]
    assert "rest_framework.renderers.BrowsableAPIRenderer" in renderers
    # The policy applies in development too, so a violation shows up before production.
    assert (
        values["CONTENT_SECURITY_POLICY"] == settings_in(production_env(tmp_path))["CONTENT_SECURITY_POLICY"]
    )


def test_a_page_carries_the_security_headers(client):
    response = client.get("/accounts/login/", secure=True)
    assert response.status_code == 200
    # django-csp writes the directives in no fixed order.
    directives = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert directives == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
    }
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    cookies = response.cookies
    assert cookies["csrftoken"]["secure"] and cookies["csrftoken"]["samesite"] == "Lax"


@pytest.mark.django_db
def test_the_api_answers_a_browser_in_json(client):
    """No browsable API pages in production: their inline styles break the policy (settings)."""
    client.force_login(UserFactory())
    response = client.get("/api/use-cases/", headers={"Accept": "text/html,*/*;q=0.8"}, secure=True)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https_except_the_health_check(client, settings):
    settings.SECURE_SSL_REDIRECT = True  # the production value (the test settings turn it off)
    response = client.get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"
    assert client.get("/healthz").status_code == 200


def test_collectstatic_writes_hashed_compressed_files_that_pages_link_to(tmp_path):
    static_root = tmp_path / "static"
    env = production_env(tmp_path, STATIC_ROOT=str(static_root))
    done = run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], env, timeout=300)
    assert done.returncode == 0, done.stderr
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    for name in ["css/app.css", "js/app.js", "vendor/htmx/htmx.min.js", "css/swagger_ui.css"]:
        hashed = manifest[name]
        assert re.search(r"\.[0-9a-f]{12}\.", hashed), hashed
        assert (static_root / hashed).exists() and (static_root / f"{hashed}.gz").exists()

    # The login page under these settings links the hashed files, and WhiteNoise serves them
    # compressed and cacheable for ever.
    serve = """
import re, django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="registry.example.com")
page = client.get("/accounts/login/", secure=True).content.decode()
href = re.search(r'href="(/static/css/app[.][^"]+)"', page).group(1)
css = client.get(href, secure=True, headers={"Accept-Encoding": "gzip"})
print("|".join([href, str(css.status_code), css["Content-Encoding"], css["Cache-Control"]]))
"""
    done = run([sys.executable, "-c", serve], env)
    assert done.returncode == 0, done.stderr
    href, status, encoding, cache_control = done.stdout.strip().splitlines()[-1].split("|")
    assert href == "/static/" + manifest["css/app.css"]
    assert (status, encoding) == ("200", "gzip")
    assert "immutable" in cache_control


# --- deploy/ ------------------------------------------------------------------------------------


def make_recipe(target: str) -> list[str]:
    """The first command of a Makefile target, split into words, with ``$(BIN)/`` dropped (the
    image installs into its own Python, not the virtualenv)."""
    makefile = (REPO / "Makefile").read_text()
    match = re.search(rf"^{re.escape(target)}:[^\n]*\n\t([^\n]+)", makefile, re.MULTILINE)
    assert match, f"no Makefile target {target!r}"
    return shlex.split(match.group(1).replace("$(BIN)/", ""))


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((REPO / "deploy" / "compose.yaml").read_text())


def test_compose_has_the_services_with_the_makefile_commands(compose):
    services = compose["services"]
    assert set(services) == {"migrate", "web", "worker", "beat", "postgres", "redis"}
    assert services["postgres"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7"
    assert services["web"]["command"] == make_recipe("serve-prod")
    assert services["web"]["command"] == ["gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"]
    assert services["worker"]["command"] == make_recipe("worker")
    assert services["beat"]["command"] == make_recipe("beat")
    assert services["migrate"]["command"] == make_recipe("migrate")
    assert services["migrate"]["restart"] == "no"


def test_compose_app_services_wait_for_the_migration_and_the_web_is_health_checked(compose):
    services = compose["services"]
    for name in ["web", "worker", "beat"]:
        service = services[name]
        assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
        assert service["env_file"] == ".env"
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert service["depends_on"]["postgres"] == {"condition": "service_healthy"}
        assert service["environment"]["DATABASE_URL"].startswith("postgres://registry:")
        assert service["environment"]["CELERY_BROKER_URL"] == "redis://redis:6379/0"
        assert service["environment"]["CACHE_URL"] == "redis://redis:6379/1"
    check = services["web"]["healthcheck"]["test"]
    assert check[:3] == ["CMD", "python", "-c"]
    assert "http://127.0.0.1:8000/healthz" in check[3]
    compile(check[3], "healthcheck", "exec")  # the one-liner is valid Python
    for name in ["postgres", "redis"]:
        assert services[name]["healthcheck"]["test"]


def test_dockerfile_builds_like_the_makefile():
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text()
    lines = [line.strip() for line in dockerfile.replace("\\\n", " ").splitlines() if line.strip()]
    instructions = [line for line in lines if not line.startswith("#")]
    assert instructions[0] == "FROM python:3.11-slim"
    assert "RUN pip install -r requirements.txt" in instructions
    (collect,) = [line for line in instructions if "collectstatic" in line]
    assert shlex.split(collect)[-4:] == ["python", *make_recipe("collectstatic")[1:]]
    user = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert user == ["registry"]  # not root
    cmd = json.loads(instructions[-1].removeprefix("CMD "))
    assert cmd == make_recipe("serve-prod")
    ignore = (REPO / "deploy" / "Dockerfile.dockerignore").read_text().split()
    assert {".venv", ".env", "db.sqlite3", ".git"} <= set(ignore)


def test_env_example_lists_every_setting_read_from_the_environment():
    settings_source = (REPO / "config" / "settings.py").read_text()
    gunicorn_source = (REPO / "config" / "gunicorn.conf.py").read_text()
    read = set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", settings_source))
    read |= set(re.findall(r"os\.environ\.get\(\s*\"([A-Z][A-Z0-9_]*)\"", gunicorn_source))
    compose_source = (REPO / "deploy" / "compose.yaml").read_text()
    read |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", compose_source))
    assert {"SECRET_KEY", "SECURE_SSL_REDIRECT", "LOG_FORMAT", "WEB_CONCURRENCY", "POSTGRES_PASSWORD"} <= read
    example = (REPO / "deploy" / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, re.MULTILINE))
    assert sorted(read - documented) == []
