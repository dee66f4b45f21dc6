"""Template helpers for ownership: ``{% load ownership_tags %}``.

They only ask ``accounts.permissions`` (the person's standing is cached per request, so no
query is added to a page that already checked a permission).
"""

from django import template

from accounts.permissions import can_accept_ownership, can_view_ownership_gaps

register = template.Library()


@register.filter
def may_see_ownership_gaps(user) -> bool:
    """Whether the navigation shows "Ownership gaps" to ``user`` (leads, curators, reviewers,
    responders, admins)."""
    return can_view_ownership_gaps(user)


@register.simple_tag
def may_accept_ownership(user, use_case) -> bool:
    """``{% may_accept_ownership user use_case as can_accept %}``: whether to offer the
    "Accept ownership" button (``accounts.permissions.can_accept_ownership``)."""
    return can_accept_ownership(user, use_case)


@register.filter
def may_see_review_queue(user) -> bool:
    """Whether the navigation shows "Reviews" (reviewers, responders and admins)."""
    from accounts.permissions import standing_of

    return standing_of(user).reads_everything
