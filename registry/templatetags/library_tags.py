"""Template helpers of the shared library: ``{% load library_tags %}``.

``{% library_panel use_case %}`` renders a use case page's "Shared library" section (its
graduation criteria, usage chart, library entry or "adopted from" link) from the use case
``use_case_detail`` loaded, plus two queries (its usage reports; its entry and the entry it
was adopted from).
``{% usage_chart reports %}`` draws usage as server-rendered SVG bars with the figures in a
table behind them (no script; presentation attributes only, so a strict CSP is fine).
"""

from dataclasses import dataclass
from decimal import Decimal

from django import template
from django.conf import settings

from accounts.permissions import can_change_use_case, can_curate_library

from ..rules.graduation import weekly_hours
from ..selectors.library import library_links_of, usage_reports_for, use_case_graduation

register = template.Library()

#: The chart's geometry, in SVG user units (the SVG scales to its container).
CHART_WIDTH, CHART_HEIGHT, CHART_TOP, CHART_BOTTOM = 420, 150, 18, 22


@register.filter
def may_curate_library(user) -> bool:
    """Whether to offer curators' links and actions (``can_curate_library``; no query once the
    request's standing is read)."""
    return can_curate_library(user)


@register.filter
def per_week(monthly_hours):
    """A month's hours saved as hours a week, one decimal ("" when unknown)."""
    value = weekly_hours(monthly_hours)
    return "" if value is None else value.quantize(Decimal("0.1"))


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    label_x: float
    value_y: float
    value: str
    month: str


@dataclass
class Series:
    key: str
    title: str
    colour: str
    bars: list[Bar]
    maximum: str


def _fmt(value) -> str:
    value = Decimal(value)
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value.quantize(Decimal('0.1')):f}"


def usage_chart_series(reports) -> list[Series]:
    """Bars for active users and hours saved per month (oldest first), each scaled to its own
    maximum. Returns an empty list when there is no report."""
    reports = list(reports)
    if not reports:
        return []
    slot = CHART_WIDTH / len(reports)
    plot = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    result = []
    for key, title, colour in (
        ("active_users", "Active users", "#1565c0"),
        ("hours_saved", "Hours saved (month)", "#2e7d32"),
    ):
        values = [Decimal(getattr(r, key) or 0) for r in reports]
        top = max(values) or Decimal(1)
        bars = []
        for i, (report, value) in enumerate(zip(reports, values, strict=True)):
            height = float(value / top) * plot
            width = slot * 0.6
            x = i * slot + (slot - width) / 2
            bars.append(
                Bar(
                    x=round(x, 1),
                    y=round(CHART_TOP + plot - height, 1),
                    width=round(width, 1),
                    height=round(height, 1),
                    label_x=round(i * slot + slot / 2, 1),
                    value_y=round(CHART_TOP + plot - height - 4, 1),
                    value=_fmt(value),
                    month=f"{report.period:%b %y}",
                )
            )
        result.append(Series(key=key, title=title, colour=colour, bars=bars, maximum=_fmt(top)))
    return result


@register.inclusion_tag("registry/library_usage_chart.html")
def usage_chart(reports, chart_id="usage"):
    """``{% usage_chart reports %}``: the SVG bars and the table of the figures."""
    reports = list(reports)
    return {
        "reports": reports,
        "series": usage_chart_series(reports),
        "chart_id": chart_id,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "baseline": CHART_HEIGHT - CHART_BOTTOM,
        "month_y": CHART_HEIGHT - 6,
        "currency": settings.CURRENCY,
    }


@register.inclusion_tag("registry/library_use_case_panel.html", takes_context=True)
def library_panel(context, use_case):
    """``{% library_panel use_case %}``: the "Shared library" section of a use case's page."""
    request = context.get("request")
    user = getattr(request, "user", None)
    reports = usage_reports_for(use_case)
    assessment = use_case_graduation(use_case, report=reports[-1] if reports else None)
    entry, adopted_from = library_links_of(use_case)
    can_change = context.get("can_change")
    if can_change is None:
        can_change = can_change_use_case(user, use_case)
    return {
        "use_case": use_case,
        "assessment": assessment,
        "reports": reports,
        "entry": entry,
        "adopted_from": adopted_from,
        "can_change": can_change,
        "can_curate": can_curate_library(user),
        "currency": settings.CURRENCY,
        "min_users": settings.LIBRARY_MIN_ACTIVE_USERS,
        "min_hours": settings.LIBRARY_MIN_HOURS_SAVED_PER_WEEK,
    }
