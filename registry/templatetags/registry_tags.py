"""Template helpers of the registry's pages: ``{% load registry_tags %}``."""

from django import template
from django.utils.html import format_html

from ..choices import RiskTier

register = template.Library()

_RISK_LABELS = dict(RiskTier.choices)


@register.simple_tag
def risk_badge(tier: str) -> str:
    """The badge of a risk tier: its name in text, coloured by CSS (``.risk-<tier>``).

    Args:
        tier: a ``RiskTier`` value; anything else renders as "Unknown".

    Returns:
        Safe HTML, e.g. ``<span class="badge risk risk-high">High</span>``. A tag rather than
        an ``{% include %}`` because list pages render it once per row.
    """
    if tier not in _RISK_LABELS:
        return format_html('<span class="badge risk risk-unknown">{}</span>', "Unknown")
    return format_html('<span class="badge risk risk-{}">{}</span>', tier, _RISK_LABELS[tier])


@register.filter
def split_commas(value: str) -> list[str]:
    """``"a,b,c"`` -> ``["a", "b", "c"]`` (for short fixed choice lists in templates)."""
    return [part.strip() for part in str(value).split(",")]
