"""The central team's dashboard (issue 9) and its per-panel CSV exports."""

import csv

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse
from django.views import View
from django.views.generic import TemplateView

from ..selectors.dashboard import PANELS, DashboardNotAllowed, dashboard_csv_rows, dashboard_for
from .catalog import csv_safe


def _dashboard_or_404(user):
    try:
        return dashboard_for(user)
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


#: Geometry of a horizontal bar chart (SVG user units).
_CHART_WIDTH, _LABEL_WIDTH, _BAR_SPACE, _ROW = 640, 220, 340, 24


def bar_chart(figures, *, title: str, chart_id: str) -> dict:
    """A horizontal bar chart of ``figures`` (``Figure``s) for ``components/bar_chart.html``.

    Returns:
        ``{"id", "title", "width", "height", "rows": [{"label", "value", "url", "y", "text_y",
        "width", "value_x"}], "maximum"}``; the template draws the SVG and the table behind it.
    """
    figures = list(figures)
    values = [float(figure.value or 0) for figure in figures]
    maximum = max(values, default=0)
    rows = []
    for index, (figure, value) in enumerate(zip(figures, values, strict=True)):
        width = round(_BAR_SPACE * value / maximum, 1) if maximum else 0
        y = index * _ROW
        rows.append(
            {
                "label": figure.label,
                "value": figure.value,
                "url": figure.url,
                "y": y + 4,
                "text_y": y + 17,
                "width": width,
                "value_x": _LABEL_WIDTH + width + 6,
            }
        )
    return {
        "id": chart_id,
        "title": title,
        "width": _CHART_WIDTH,
        "label_x": _LABEL_WIDTH - 8,
        "bar_x": _LABEL_WIDTH,
        "height": max(len(rows), 1) * _ROW + 4,
        "rows": rows,
        "maximum": figures[values.index(maximum)].value if figures else 0,
    }


def _charts(panels) -> dict:
    inventory, risk, value = panels["inventory"], panels["risk"], panels["value"]
    return {
        "stages": bar_chart(
            inventory["stages"], title="Use cases by lifecycle stage", chart_id="chart-stages"
        ),
        "kinds": bar_chart(inventory["kinds"], title="Use cases by kind", chart_id="chart-kinds"),
        "teams": bar_chart(inventory["teams"], title="Top teams by use cases", chart_id="chart-teams"),
        "vendors": bar_chart(
            inventory["vendors"], title="Top vendors by use cases", chart_id="chart-vendors"
        ),
        "growth": bar_chart(inventory["growth"], title="Registrations per month", chart_id="chart-growth"),
        "tiers": bar_chart(risk["tiers"], title="Use cases by risk tier", chart_id="chart-tiers"),
        "hours": bar_chart(value["totals"], title="Hours saved per month", chart_id="chart-hours"),
    }
