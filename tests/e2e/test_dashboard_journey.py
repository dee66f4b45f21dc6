"""The dashboard in a real browser (issue 9): the curator's charts draw with the vendored
Chart.js under the strict Content-Security-Policy being rolled out (no inline script or
style, no eval), each chart keeps its table, and a count opens exactly the list behind it."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

#: The policy the site will send (default-src 'self', nothing inline, no eval), added here to
#: every response so that anything it would block fails this test first.
CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'"


def with_csp(page):
    """Serve every page of ``page`` with ``CSP`` and collect the violations it reports."""
    violations = []
    page.on("console", lambda msg: "Content Security Policy" in msg.text and violations.append(msg.text))

    def add_policy(route):
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": CSP})

    page.route("**/dashboard/**", add_policy)
    return violations


def test_the_curator_sees_the_charts_drawn_and_their_tables(session, tmp_path):
    page = session("curator")
    violations = with_csp(page)
    page.goto("/dashboard/")
    page.wait_for_selector("html[data-charts-drawn]")
    drawn = int(page.get_attribute("html", "data-charts-drawn"))
    figures = page.locator("figure[data-chart]").count()
    assert figures >= 8 and drawn == figures
    # Each canvas is shown, sized and painted (Chart.js drew something: not all transparent).
    canvas = page.locator("#chart-stages")
    assert canvas.is_visible()
    box = canvas.bounding_box()
    assert box["width"] > 200 and box["height"] > 50
    painted = page.evaluate(
        """() => {
            const c = document.getElementById('chart-stages');
            const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) { n++; } }
            return n;
        }"""
    )
    assert painted > 500
    # The table behind each chart is there, with the figures.
    assert page.locator("#chart-stages-table caption").inner_text() == "Use cases by lifecycle stage"
    assert page.locator("#chart-stages-table tbody tr").count() == 5
    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert violations == []


def test_without_javascript_the_tables_show_the_figures(browser, live_server, demo, tmp_path):
    from tests.e2e.conftest import PASSWORD

    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("#id_username", "curator")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Log in')")
    page.goto("/dashboard/")
    assert not page.locator("#chart-stages").is_visible()  # nothing drew it: hidden, no blank box
    assert page.locator("#chart-stages-table").is_visible()
    assert page.locator("#chart-tiers-table tbody tr").count() == 4
    page.screenshot(path=str(tmp_path / "dashboard-no-js.png"), full_page=True)
    context.close()


def test_a_count_opens_exactly_the_list_behind_it(session):
    page = session("curator")
    page.goto("/dashboard/")
    link = page.locator("#chart-tiers-table tbody tr").first.locator("a")
    expected = int(link.inner_text())
    link.click()
    page.wait_for_url("**/use-cases/?risk_tier=critical")
    assert page.locator("text=Risk tier: Critical").count() >= 1
    assert page.locator("table tbody tr, .use-case-row").count() >= min(expected, 1)
