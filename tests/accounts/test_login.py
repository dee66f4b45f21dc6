"""Login, logout, password change, login throttling (django-axes) and the session cookie.

Failed logins are counted per username and address in the database (axes' handler), so each
test starts with none: the test's transaction is rolled back. Django's test ``Client.login()``
calls ``authenticate()`` without a request, which axes refuses: tests log in with
``force_login`` (which axes does not touch) or through the real login page.
"""

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.db.models import F
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ApiToken
from tests.conftest import REPO_ROOT
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"  # UserFactory's
CATALOG = reverse("registry:use_case_list")
LOGIN = reverse("login")
TOKEN_LOGIN = "/api/auth/token/"


@pytest.fixture
def ada(db):
    return UserFactory(username="ada")


def login(client, username, password, ip="127.0.0.1", **extra):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def fail_until_locked(client, username, ip="127.0.0.1"):
    """Fail ``AXES_FAILURE_LIMIT`` times; return the answers (the last is the lockout)."""
    return [login(client, username, "wrong password", ip) for _ in range(settings.AXES_FAILURE_LIMIT)]


def logged_in(client):
    return "_auth_user_id" in client.session


# --- the login page --------------------------------------------------------------------------


def test_login_page_logs_in_and_a_wrong_password_says_so(client, ada):
    wrong = login(client, "ada", "nope")
    assert wrong.status_code == 200
    assert b'role="alert"' in wrong.content and not logged_in(client)

    right = client.post(LOGIN, {"username": "ada", "password": PASSWORD, "next": CATALOG})

    assert right.status_code == 302 and right["Location"] == CATALOG
    assert logged_in(client)


def test_five_failures_lock_out_the_username_from_that_address_even_with_the_right_password(client, ada):
    assert settings.AXES_FAILURE_LIMIT == 5
    answers = fail_until_locked(client, "ada")

    # Four ordinary "wrong password" pages, then the fifth failure locks the pair out.
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]
    sixth = login(client, "ada", PASSWORD)

    assert sixth.status_code == 429
    assert not logged_in(client)
    html = sixth.content.decode()
    assert "Logging in is paused" in html and "Try again in 15 minutes" in html
    assert sixth["Retry-After"] == str(15 * 60)
    assert "<html" in html and "ada" not in html  # our page, and it does not repeat the username


def test_the_lockout_page_does_not_tell_whether_the_username_exists(client, ada):
    fail_until_locked(client, "ada")
    fail_until_locked(client, "nobody-by-this-name")

    existing = login(client, "ada", "again")
    missing = login(client, "nobody-by-this-name", "again")

    assert existing.status_code == missing.status_code == 429
    assert existing.content == missing.content


def test_another_address_or_another_username_is_not_locked(client, ada):
    UserFactory(username="bob")
    fail_until_locked(client, "ada", ip="127.0.0.1")

    assert login(client, "ada", PASSWORD, ip="10.0.0.2").status_code == 302
    client.logout()
    assert login(client, "bob", PASSWORD, ip="127.0.0.1").status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, ada):
    fail_until_locked(client, "ada")
    assert login(client, "ada", PASSWORD).status_code == 429
    attempt = AccessAttempt.objects.get(username="ada")
    # Tries during the lockout do not extend it: the clock still starts at the fifth failure.
    assert attempt.failures_since_start == 5

    # Time travel on the stored attempt: its last failure is now one cool-off (and a second) ago.
    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )

    assert login(client, "ada", PASSWORD).status_code == 302
    assert logged_in(client)


def test_an_admin_can_lift_a_lockout_with_axes_reset(client, ada):
    fail_until_locked(client, "ada")

    call_command("axes_reset_username", "ada")

    assert login(client, "ada", PASSWORD).status_code == 302


def test_a_successful_login_clears_earlier_failures(client, ada):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "ada", "typo")
    assert login(client, "ada", PASSWORD).status_code == 302
    client.post(reverse("logout"))

    answers = [login(client, "ada", "typo").status_code for _ in range(settings.AXES_FAILURE_LIMIT - 1)]

    assert answers == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert login(client, "ada", PASSWORD).status_code == 302


def test_force_login_is_untouched_by_the_throttle(client, ada):
    fail_until_locked(client, "ada")

    client.force_login(ada)

    assert client.get(reverse("accounts:profile")).status_code == 200


# --- behind reverse proxies --------------------------------------------------------------------


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_trusted_proxy_the_forwarded_address_is_the_one_locked_out(client, ada):
    proxy = "10.0.0.1"
    fail_until_locked_from = {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "ada", "wrong", ip=proxy, **fail_until_locked_from)

    # A client-sent entry left of the proxy's is ignored: still the locked-out address.
    spoofed = login(client, "ada", PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9")
    other = login(client, "ada", PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.7")

    assert spoofed.status_code == 429
    assert other.status_code == 302


def test_without_trusted_proxies_a_forwarded_for_header_cannot_dodge_the_lockout(client, ada):
    assert settings.TRUSTED_PROXY_COUNT == 0
    for i in range(settings.AXES_FAILURE_LIMIT):
        login(client, "ada", "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")

    assert login(client, "ada", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99").status_code == 429


# --- the API's token login is throttled the same way --------------------------------------------


def token_login(username, password, ip="127.0.0.1"):
    return APIClient().post(
        TOKEN_LOGIN, {"username": username, "password": password}, format="json", REMOTE_ADDR=ip
    )


def test_token_login_locks_out_after_five_failures_with_a_json_429(ada):
    answers = [token_login("ada", "wrong") for _ in range(settings.AXES_FAILURE_LIMIT)]

    assert [a.status_code for a in answers] == [400, 400, 400, 400, 429]
    sixth = token_login("ada", PASSWORD)

    assert sixth.status_code == 429
    assert sixth["Content-Type"] == "application/json"
    assert sixth.json() == {"detail": "Too many failed login attempts. Try again in 15 minutes."}
    assert sixth["Retry-After"] == str(15 * 60)
    assert not ApiToken.objects.exists()
    # Another address is not locked.
    assert token_login("ada", PASSWORD, ip="10.0.0.2").status_code == 200


def test_failures_on_the_api_and_the_page_count_together(client, ada):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert token_login("ada", "wrong").status_code == 400

    assert login(client, "ada", "wrong").status_code == 429
    assert token_login("ada", PASSWORD).status_code == 429


def test_a_successful_token_login_clears_earlier_failures(ada):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        token_login("ada", "wrong")
    assert token_login("ada", PASSWORD).status_code == 200

    answers = [token_login("ada", "wrong").status_code for _ in range(settings.AXES_FAILURE_LIMIT - 1)]

    assert answers == [400] * (settings.AXES_FAILURE_LIMIT - 1)


# --- logout and password change ----------------------------------------------------------------


def test_logout_is_a_post_and_lands_on_the_login_page(client, ada):
    client.force_login(ada)

    assert client.get(reverse("logout")).status_code == 405
    assert logged_in(client)
    response = client.post(reverse("logout"), follow=True)

    assert response.redirect_chain == [(LOGIN, 302)]
    assert not logged_in(client)
    assert "You have logged out." in response.content.decode()


def test_password_change(client, ada):
    client.force_login(ada)
    url = reverse("accounts:password_change")
    assert url == "/accounts/password-change/"

    page = client.get(url)
    assert page.status_code == 200
    assert 'name="old_password"' in page.content.decode()
    wrong = client.post(
        url,
        {
            "old_password": "not it",
            "new_password1": "a new long passphrase",
            "new_password2": "a new long passphrase",
        },
    )
    assert wrong.status_code == 200 and 'aria-invalid="true"' in wrong.content.decode()
    changed = client.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password1": "a new long passphrase",
            "new_password2": "a new long passphrase",
        },
    )

    assert changed.status_code == 302
    assert changed["Location"] == reverse("accounts:password_change_done")
    # Still logged in here, and the done page says so.
    assert "Your password is changed" in client.get(changed["Location"]).content.decode()
    ada.refresh_from_db()
    assert ada.check_password("a new long passphrase")
    client.post(reverse("logout"))
    assert login(client, "ada", PASSWORD).status_code == 200
    assert login(client, "ada", "a new long passphrase").status_code == 302


def test_password_change_needs_login(client, db):
    url = reverse("accounts:password_change")

    response = client.get(url)

    assert response.status_code == 302 and response["Location"] == f"{LOGIN}?next={url}"


# --- session cookies with the production settings ---------------------------------------------

COOKIE_SETTINGS = [
    "DEBUG",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "SESSION_COOKIE_AGE",
    "SESSION_EXPIRE_AT_BROWSER_CLOSE",
    "AXES_FAILURE_LIMIT",
    "AXES_COOLOFF_TIME",
]


def settings_from_environment(**environ):
    """``config.settings`` loaded afresh in a child process with these variables (and none of
    our ``DEBUG``, ``SESSION_*``, ``CSRF_*`` or ``AXES_*``, nor a ``.env`` file): the values it
    computes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEBUG", "SESSION_", "CSRF_", "AXES_"))}
    env.update({"SECRET_KEY": "x" * 50, **environ})
    code = (
        # A developer's .env must not leak in: read only the environment given here.
        "import environ; environ.Env.read_env = classmethod(lambda *a, **k: None); "
        "import json, config.settings as s; "
        f"values = {{k: getattr(s, k) for k in {COOKIE_SETTINGS!r}}}; "
        "print(json.dumps(values, default=lambda v: v.total_seconds()))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_production_settings_make_safe_cookies_and_read_the_environment():
    production = settings_from_environment(DEBUG="0")
    development = settings_from_environment(DEBUG="1")
    tuned = settings_from_environment(
        DEBUG="0", SESSION_COOKIE_AGE="3600", AXES_FAILURE_LIMIT="10", AXES_COOLOFF_MINUTES="30"
    )

    assert production == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_AGE": 8 * 60 * 60,
        "SESSION_EXPIRE_AT_BROWSER_CLOSE": False,
        "AXES_FAILURE_LIMIT": 5,
        "AXES_COOLOFF_TIME": 15 * 60,
    }
    assert development["SESSION_COOKIE_SECURE"] is development["CSRF_COOKIE_SECURE"] is False
    assert (tuned["SESSION_COOKIE_AGE"], tuned["AXES_FAILURE_LIMIT"], tuned["AXES_COOLOFF_TIME"]) == (
        3600,
        10,
        1800,
    )


def test_the_login_response_sets_secure_httponly_lax_cookies_in_production(client, ada):
    production = settings_from_environment(DEBUG="0")
    cookie_settings = {k: v for k, v in production.items() if k.startswith(("SESSION_", "CSRF_"))}

    with override_settings(DEBUG=False, **cookie_settings):
        page = client.get(LOGIN)
        response = client.post(LOGIN, {"username": "ada", "password": PASSWORD, "csrfmiddlewaretoken": "x"})

    assert response.status_code == 302
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    assert session["max-age"] == 8 * 60 * 60
    csrf = page.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["secure"] is True and csrf["samesite"] == "Lax"
