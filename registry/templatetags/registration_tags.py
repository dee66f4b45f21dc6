"""Template helpers of the registration pages: ``{% load registration_tags %}``."""

from django import template

from accounts.permissions import standing_of

register = template.Library()


@register.filter
def may_register(user) -> bool:
    """Whether the navigation offers "Register": builders (for their teams), team leads and
    admins (``accounts.permissions.can_create_use_case``). Reads the cached standing: no query
    on a page that already asked a permission."""
    standing = standing_of(user)
    return standing.is_admin or bool(standing.builds_for_team_ids)
