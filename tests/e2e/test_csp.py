"""The pages under the production Content-Security-Policy, in a real browser (Chromium).

Each demo role logs in and walks its main pages, including the htmx interactions (the
catalog's filter, the registration form's "Add a data source" and live risk tier, who built
what's suggestions). Every page must arrive with the policy from ``settings`` and the browser
must report no violation: neither a ``securitypolicyviolation`` event nor a "Refused to ..."
console message. The first test shows the watcher does catch a violation, so an empty list
means something.

The live server runs the test settings, which keep the production CSP (only the https
redirect is off: the live server is plain http).
"""

import json

import pytest
from csp.utils import build_policy

from registry.models import UseCase

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

#: Reports every CSP violation to the test (through the exposed ``__cspViolation`` binding).
WATCH_SCRIPT = """
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolation(JSON.stringify({
    page: document.location.pathname, directive: event.effectiveDirective,
    blocked: event.blockedURI, source: event.sourceFile, line: event.lineNumber,
    sample: event.sample
  }));
});
"""


class Watcher:
    """Collects CSP violations and script errors of every page opened in one browser context."""

    def __init__(self, context):
        self.violations: list[str] = []
        self.errors: list[str] = []
        context.expose_function("__cspViolation", lambda report: self.violations.append(report))
        context.add_init_script(WATCH_SCRIPT)

    def attach(self, page):
        def on_console(message):
            text = message.text
            if "Content Security Policy" in text or text.startswith("Refused to"):
                self.violations.append(f"console: {text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        return page


@pytest.fixture
def expected_policy():
    """The header value the settings produce (the same for every page of this process)."""
    return build_policy()


def directives(policy: str) -> dict[str, str]:
    """``{"default-src": "'self'", ...}`` from a header value (django-csp's order is not fixed)."""
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


@pytest.fixture
def watched(session):
    """``watched("curator")``: a signed-in page whose CSP violations and script errors are kept on
    ``page.watcher``; asserts at the end that there were none."""
    pages = []

    def open_as(username):
        page = session(username)
        page.watcher = Watcher(page.context)
        page.watcher.attach(page)
        pages.append(page)
        return page

    yield open_as
    for page in pages:
        # Let the last page's late reports (events fire asynchronously) arrive before judging.
        page.wait_for_timeout(200)
        assert page.watcher.violations == [], "\n".join(map(str, page.watcher.violations))
        assert page.watcher.errors == [], "\n".join(page.watcher.errors)


def visit(page, path, expected_policy, *, ready):
    """Open ``path``, check its response carries the policy, and wait for ``ready`` (a selector)."""
    response = page.goto(path)
    assert response.status == 200, f"{path}: {response.status}"
    assert directives(response.headers.get("content-security-policy", "")) == directives(expected_policy), (
        path
    )
    page.wait_for_selector(ready)


def test_the_watcher_catches_a_violation(session, expected_policy):
    """Without this, an empty list could mean the watcher sees nothing: an inline <style> element
    and a style attribute added to a page are both reported, with the page and the directive."""
    page = session("staff")
    watcher = Watcher(page.context)
    watcher.attach(page)
    visit(page, "/library/", expected_policy, ready="h1")
    page.evaluate(
        "() => { const s = document.createElement('style'); s.textContent = 'body{color:red}';"
        " document.head.appendChild(s); document.body.setAttribute('style', 'color: red'); }"
    )
    page.wait_for_timeout(300)
    reports = [json.loads(v) for v in watcher.violations if not v.startswith("console:")]
    assert {r["directive"] for r in reports} == {"style-src-elem", "style-src-attr"}, watcher.violations
    assert {r["page"] for r in reports} == {"/library/"}


def test_the_policy_is_the_production_one(expected_policy):
    assert directives(expected_policy) == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
    }


def test_login_page_has_no_violation(browser, live_server, demo, expected_policy):
    context = browser.new_context(base_url=live_server.url)
    try:
        watcher = Watcher(context)
        page = watcher.attach(context.new_page())
        visit(page, "/accounts/login/", expected_policy, ready="#id_username")
        page.wait_for_timeout(200)
        assert watcher.violations == [] and watcher.errors == []
    finally:
        context.close()


def test_builder_pages_and_htmx_under_the_policy(watched, expected_policy):
    page = watched("builder")

    # The catalog: changing a filter re-renders only #results through htmx and pushes the URL.
    visit(page, "/use-cases/", expected_policy, ready="#results")
    page.wait_for_function("() => window.htmx !== undefined")
    page.select_option("#filter-team", "acme-marketing")
    page.wait_for_url("**/use-cases/?team=acme-marketing")
    page.locator("#results >> text=Competitive intelligence GPT").wait_for()

    # A use case page.
    gpt = UseCase.objects.get(name="Competitive intelligence GPT")
    visit(page, gpt.get_absolute_url(), expected_policy, ready="h1:has-text('Competitive intelligence GPT')")

    # The registration form: "Add a data source" (htmx swaps the fieldset) and the live risk tier.
    visit(page, "/use-cases/new/", expected_policy, ready="h1:has-text('Register a use case')")
    page.fill("#id_name", "CSP check tool")
    page.fill("#id_purpose", "Checks that the pages work under the policy.")
    page.select_option("#id_kind", "custom_gpt")
    page.click("summary:has-text('Data it reads or writes')")
    page.click("button:has-text('Add a data source')")
    page.wait_for_selector("#id_data_accesses-0-new_source_name")
    page.fill("#id_data_accesses-0-new_source_name", "Pricing sheet")
    page.select_option("#id_data_accesses-0-new_source_classification", "confidential")
    page.select_option("#id_data_accesses-0-access", "read_write")
    page.locator(
        "#risk-preview li", has_text="Writes to a confidential data source (Pricing sheet)"
    ).wait_for()
    assert page.locator("#risk-preview .risk").inner_text() == "Medium"

    visit(page, "/my/use-cases/", expected_policy, ready="h1")
    visit(page, "/library/", expected_policy, ready="h1")
    visit(page, "/teams/acme-marketing/", expected_policy, ready="h1")
    visit(page, "/vendors/", expected_policy, ready="h1")
    visit(page, "/accounts/profile/", expected_policy, ready="h1")

    # The API docs: Swagger UI (drf-spectacular-sidecar) renders the schema from static files.
    visit(page, "/api/docs/", expected_policy, ready=".swagger-ui .info .title")
    page.locator(".swagger-ui .opblock").first.wait_for()


def test_reviewer_and_responder_pages_under_the_policy(watched, expected_policy):
    reviewer = watched("reviewer")
    visit(reviewer, "/reviews/", expected_policy, ready="h1")
    first_review = reviewer.locator("main a[href^='/reviews/']").first
    if first_review.count():
        first_review.click()
        reviewer.wait_for_selector("h1")

    responder = watched("responder")
    # Who built what: typing asks for suggestions through htmx (a POST with the CSRF header).
    visit(responder, "/who-built-what/", expected_policy, ready="h1:has-text('Who built what')")
    responder.wait_for_function("() => window.htmx !== undefined")
    responder.fill("#wbw-q", "hubspot")
    responder.locator(
        "#wbw-suggestions a[data-kind='credential']", has_text="HubSpot private app key"
    ).click()
    responder.wait_for_selector("#answer")
    answer_url = responder.url
    # The incident packet (a page of its own, for printing) and the architecture maps (SVG).
    responder.click("text=Incident packet (print)")
    responder.wait_for_selector("h1")
    gpt = UseCase.objects.get(name="Competitive intelligence GPT")
    visit(responder, f"/use-cases/{gpt.pk}/architecture/", expected_policy, ready="h1")
    visit(responder, "/teams/acme-marketing/connections/", expected_policy, ready="h1")
    responder.goto(answer_url)
    responder.wait_for_selector("#answer")
    # Opening an incident from the answer (a POST, then the incident's page).
    responder.click("summary:has-text('Open an incident from this answer')")
    responder.fill("#id_title", "HubSpot key leaked")
    responder.fill("#id_description", "The key was committed to a public repository.")
    responder.fill("#id_what_to_do", "Stop the workflow until the key is rotated.")
    responder.click("button:has-text('Open the incident and notify the owners')")
    responder.wait_for_selector("h1:has-text('HubSpot key leaked')")
    visit(responder, "/incidents/", expected_policy, ready="h1")


def test_lead_and_curator_pages_under_the_policy(watched, expected_policy):
    lead = watched("lead")
    visit(lead, "/ownership-gaps/", expected_policy, ready="h1")
    visit(lead, "/my/team/", expected_policy, ready="h1")
    visit(lead, "/teams/", expected_policy, ready="h1")

    curator = watched("curator")
    visit(curator, "/library/candidates/", expected_policy, ready="h1")
    visit(curator, "/foundation-documents/", expected_policy, ready="h1")


def test_admin_pages_under_the_policy(watched, expected_policy):
    admin = watched("admin")
    visit(admin, "/admin/", expected_policy, ready="#content h1")
    visit(admin, "/admin/registry/usecase/", expected_policy, ready="#result_list")
    # A change form: the admin's widgets (select filters, date pickers) are scripts of its own.
    gpt = UseCase.objects.get(name="Competitive intelligence GPT")
    visit(admin, f"/admin/registry/usecase/{gpt.pk}/change/", expected_policy, ready="#content-main form")
    visit(admin, "/admin/accounts/user/add/", expected_policy, ready="#content-main form")
