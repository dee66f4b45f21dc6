"""The central team's dashboard (issue 9) and its per-panel CSV exports."""

import csv

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse
from django.views import View
from django.views.generic import TemplateView

from ..selectors.dashboard import PANELS, DashboardNotAllowed, Figure, dashboard_cached, dashboard_csv_rows
from .catalog import csv_safe


def _dashboard_or_404(user):
    try:
        return dashboard_cached(user)
    except DashboardNotAllowed:
        raise Http404("No such page.") from None


class DashboardView(LoginRequiredMixin, TemplateView):
    """``/dashboard/``: the estate at a glance (curators, reviewers, responders and admins the
    whole estate; leads their teams; anyone else 404). ``?print=1`` is the dated one-page
    summary without navigation."""

    template_name = "registry/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        dashboard = _dashboard_or_404(self.request.user)
        context.update(
            dashboard=dashboard,
            panels=dashboard.panels,
            charts=_charts(dashboard.panels),
            print_mode=self.request.GET.get("print") == "1",
            panel_names=PANELS,
        )
        return context


class DashboardExportView(LoginRequiredMixin, View):
    """``/dashboard/<panel>.csv``: one panel's figures as CSV (same audience as the page)."""

    def get(self, request, panel):
        if panel not in PANELS:
            raise Http404("No such panel.")
        dashboard = _dashboard_or_404(request.user)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        stamp = dashboard.generated_at.strftime("%Y-%m-%d")
        response["Content-Disposition"] = f'attachment; filename="dashboard-{panel}-{stamp}.csv"'
        writer = csv.writer(response)
        for row in dashboard_csv_rows(dashboard, panel):
            writer.writerow([csv_safe(cell) for cell in row])
        return response


def chart(
    figures, *, title: str, chart_id: str, unit: str = "use cases", kind: str = "bar", horizontal=True
) -> dict:
    """A chart of ``figures`` (``Figure``s) for ``components/bar_chart.html``.

    The template writes the figures as a table (the chart's text alternative, and what shows
    without JavaScript) and the same data as a JSON block (``json_script``) that
    ``static/js/dashboard.js`` draws with Chart.js.

    Returns:
        ``{"id", "data_id", "title", "unit", "rows": [{"label", "value", "url"}], "data": {"title", "unit",
        "kind" ("bar" or "line"), "horizontal", "labels", "values" (numbers; None for no
        value), "urls"}}``.
    """
    figures = list(figures)
    return {
        "id": chart_id,
        "data_id": f"{chart_id}-data",
        "title": title,
        "unit": unit,
        "rows": [{"label": f.label, "value": f.value, "url": f.url} for f in figures],
        "data": {
            "title": title,
            "unit": unit,
            "kind": kind,
            "horizontal": horizontal,
            "labels": [str(f.label) for f in figures],
            "values": [None if f.value is None or f.value == "" else float(f.value) for f in figures],
            "urls": [f.url for f in figures],
        },
    }


def _charts(panels) -> dict:
    inventory, risk, reviews, value = panels["inventory"], panels["risk"], panels["reviews"], panels["value"]
    charts = {
        "stages": chart(inventory["stages"], title="Use cases by lifecycle stage", chart_id="chart-stages"),
        "kinds": chart(inventory["kinds"], title="Use cases by kind", chart_id="chart-kinds"),
        "teams": chart(inventory["teams"], title="Top teams by use cases", chart_id="chart-teams"),
        "vendors": chart(inventory["vendors"], title="Top vendors by use cases", chart_id="chart-vendors"),
        "growth": chart(
            inventory["growth"], title="Registrations per month", chart_id="chart-growth", horizontal=False
        ),
        "tiers": chart(risk["tiers"], title="Use cases by risk tier", chart_id="chart-tiers"),
        "open_reviews": chart(
            [Figure(row["tier"], row["open"], row["url"]) for row in reviews["open_by_tier"]],
            title="Open reviews by risk tier",
            chart_id="chart-open-reviews",
            unit="reviews",
        ),
        "decision_days": chart(
            [Figure(row["month"], row["median_days"]) for row in reviews["median_by_month"]],
            title="Median days from request to decision, by month decided",
            chart_id="chart-decision-days",
            unit="days",
            kind="line",
            horizontal=False,
        ),
        "hours": chart(
            value["totals"],
            title="Hours saved per month",
            chart_id="chart-hours",
            unit="hours",
            horizontal=False,
        ),
    }
    if risk["credentials"] is not None:
        charts["unsafe"] = chart(
            [Figure(row["label"], row["use_cases"], row["url"]) for row in risk["credentials"]],
            title="Use cases using a credential stored in an unsafe place, by storage",
            chart_id="chart-unsafe",
        )
        charts["unsafe"]["extra_label"] = "Credentials"
        for row, source in zip(charts["unsafe"]["rows"], risk["credentials"], strict=True):
            row["extra"] = source["credentials"]
    return charts
