"""Reads of teams for the pages: the catalog's team picker, the team list and a team's page.

Use-case counts only count what the asker may see (``use_cases_visible_to``).
"""

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from accounts.models import Membership, Team

from .use_cases import use_cases_visible_to


@dataclass
class TeamNode:
    """A team as the pickers and the team list show it (no model instance: cheap to build)."""

    id: int
    slug: str
    name: str
    abbreviation: str = ""
    kind: str = ""
    parent_id: int | None = None
    #: Use cases owned by this team itself.
    own_count: int = 0
    children: list["TeamNode"] = field(default_factory=list)

    @property
    def use_case_count(self) -> int:
        """Use cases of the team and of its children (what the catalog's team filter lists)."""
        return self.own_count + sum(child.own_count for child in self.children)


def teams_tree(*, counts_for=None) -> list[TeamNode]:
    """Every team, top-level teams (agencies) first with their children (bureaus) nested.

    Args:
        counts_for: a user; when given, each node's ``own_count`` is the number of use cases
            of that team the user may see (one more query). When ``None`` counts stay 0.

    Returns:
        Top-level ``TeamNode`` s ordered by name, each with ``children`` ordered by name.
        Teams nested deeper than one level are attached to their parent's parent, if any,
        so that nothing disappears from the pickers. One query (two with counts).
    """
    rows = Team.objects.order_by("name", "id").values_list(
        "id", "slug", "name", "abbreviation", "kind", "parent_id"
    )
    nodes = {
        row[0]: TeamNode(
            id=row[0], slug=row[1], name=row[2], abbreviation=row[3], kind=row[4], parent_id=row[5]
        )
        for row in rows
    }
    if counts_for is not None:
        counted = (
            use_cases_visible_to(counts_for)
            .order_by()
            .values_list("team_id")
            .annotate(n=Count("id"))
            .values_list("team_id", "n")
        )
        for team_id, n in counted:
            if team_id in nodes:
                nodes[team_id].own_count = n
    roots: list[TeamNode] = []
    for node in nodes.values():
        parent = nodes.get(node.parent_id) if node.parent_id else None
        # Attach deeper levels to the top-level ancestor so every team has a place.
        while parent is not None and parent.parent_id and parent.parent_id in nodes:
            parent = nodes[parent.parent_id]
        if parent is None:
            roots.append(node)
        else:
            parent.children.append(node)
    return roots


def team_for_page(*, slug: str) -> Team:
    """The team shown at ``/teams/<slug>/``, with its parent joined.

    Raises:
        Team.DoesNotExist: no team has this slug.
    """
    return Team.objects.select_related("parent").get(slug=slug)


def team_children(*, team: Team, user) -> QuerySet:
    """The direct children of ``team`` by name, each annotated ``use_case_count`` (visible ones).

    Returns:
        A ``Team`` queryset (one query when evaluated).
    """
    visible = use_cases_visible_to(user).order_by().values("pk")
    return team.children.order_by("name").annotate(
        use_case_count=Count("use_cases", filter=Q(use_cases__in=visible))
    )


def team_memberships(*, team: Team) -> QuerySet:
    """Members of ``team``, leads first, then by name, with the person joined."""
    # "lead" sorts before "member", so ordering by role puts leads first.
    return (
        Membership.objects.filter(team=team)
        .select_related("user")
        .order_by("role", "user__last_name", "user__first_name", "user__username")
    )


def team_use_cases(*, team: Team, user) -> QuerySet:
    """The use cases of ``team`` and of its children that ``user`` may see (list rows joined).

    Same rule as the catalog's ``team`` filter, so the page and the filtered catalog agree.
    """
    return use_cases_visible_to(user).filter(Q(team=team) | Q(team__parent=team))
