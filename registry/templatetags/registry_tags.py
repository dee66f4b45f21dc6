"""Template helpers of the registry's pages: ``{% load registry_tags %}``."""

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

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


def _option(value: str, label: str, selected: str) -> str:
    chosen = " selected" if value == selected else ""
    return f'<option value="{escape(value)}"{chosen}>{escape(label)}</option>'


@register.simple_tag
def team_options(tree, selected: str) -> str:
    """The ``<option>``s of a team picker: agencies with their bureaus as ``<optgroup>``s.

    Args:
        tree: ``selectors.teams.teams_tree()`` (top-level nodes with ``children``).
        selected: the chosen team's slug ("" for none).

    Returns:
        Safe HTML. Built in Python because the catalog offers every team (330 at 100,000 use
        cases): as template loops they were a third of the page's time.
    """
    parts = []
    for agency in tree:
        if agency.children:
            parts.append(f'<optgroup label="{escape(agency.name)}">')
            parts.append(_option(agency.slug, f"{agency.name} (all)", selected))
            parts.extend(_option(bureau.slug, bureau.name, selected) for bureau in agency.children)
            parts.append("</optgroup>")
        else:
            parts.append(_option(agency.slug, agency.name, selected))
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


@register.simple_tag
def choice_options(options, selected: str) -> str:
    """``<option>``s of ``(value, label)`` pairs with ``selected`` chosen (safe HTML; see
    ``team_options`` for why in Python)."""
    return mark_safe("".join(_option(value, label, selected) for value, label in options))  # noqa: S308
