"""Smoke test of a running registry over real HTTP: log in, open the catalog, search, export.

Usage: python .ci/smoke.py BASE_URL USERNAME PASSWORD. Exits 1 with a message on failure.
"""

import http.cookiejar
import json
import sys
import time
import urllib.parse
import urllib.request


def main(base, username, password):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    for _ in range(60):  # wait for the server to start
        try:
            health = json.load(opener.open(f"{base}/healthz", timeout=5))
            break
        except OSError:
            time.sleep(1)
    else:
        sys.exit("the server did not answer /healthz within 60 s")
    assert health["database"] == "ok", health
    opener.open(f"{base}/accounts/login/", timeout=10).read()
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    body = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": csrf})
    request = urllib.request.Request(f"{base}/accounts/login/", data=body.encode(), headers={"Referer": base})
    page = opener.open(request, timeout=10)
    assert "/accounts/login/" not in page.geturl(), "login failed"
    for path, expect in [
        ("/use-cases/", "use cases"),
        ("/use-cases/?q=chatbot", "chatbot"),
        ("/use-cases/?q=chatbot&stage=production&high_impact=false", "use cases"),
    ]:
        response = opener.open(f"{base}{path}", timeout=30)
        html = response.read().decode()
        assert response.status == 200, (path, response.status)
        assert expect.lower() in html.lower(), (path, expect)
    export = opener.open(f"{base}/use-cases/export.csv?q=chatbot", timeout=60)
    lines = export.read().decode().splitlines()
    assert export.status == 200 and len(lines) > 2, ("export", export.status, len(lines))
    print(
        f"smoke ok: logged in as {username}; catalog, search, filters and export answered; "
        f"export of 'chatbot' has {len(lines) - 1} rows"
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
