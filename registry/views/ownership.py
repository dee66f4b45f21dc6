"""The ownership gaps page."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.views.generic import TemplateView

from accounts.permissions import (
    can_accept_ownership,
    can_reassign_owner,
    can_view_ownership_gaps,
)

from ..choices import LifecycleStage, ReviewStatus, RiskTier, UseCaseKind
from ..models import UseCase
from ..selectors.ownership import (
    ownership_gap_reason,
    ownership_gap_teams,
    ownership_gaps_for,
    ownership_gaps_of_team,
)
from .catalog import paginate

#: What each sort is called on the page, in the order the page offers them.
SORT_LABELS = {
    "relevance": "Relevance",
    "name": "Name A–Z",
    "-name": "Name Z–A",
    "updated": "Recently updated",
    "-updated": "Least recently updated",
    "team": "Team",
    "stage": "Stage",
    "risk": "Risk, highest first",
}

#: The catalog's query parameters as people read them (notices and filter chips).
FILTER_LABELS = {
    "q": "Search",
    "search": "Search",
    "team": "Team",
    "stage": "Stage",
    "kind": "Kind",
    "vendor": "Vendor",
    "risk_tier": "Risk tier",
    "review_status": "Review status",
    "high_impact": "High-impact",
    "personal_data": "Personal data",
    "named_owner": "Named owner",
}

#: Multiple-choice filters: parameter -> choices (one chip per chosen value).
MULTI_FILTERS = {
    "stage": LifecycleStage,
    "kind": UseCaseKind,
    "risk_tier": RiskTier,
    "review_status": ReviewStatus,
}

#: Yes/no filters (any other value is ignored with a notice).
BOOLEAN_FILTERS = ("high_impact", "personal_data", "named_owner")

#: Columns no list row or export shows: the imported source row and the search vector are
#: the big ones (kilobytes per row); loading them would dominate a list's time.
LIST_DEFERRED_FIELDS = (
    "source_row",
    "search_vector",
    "description",
    "outputs",
    "human_in_the_loop",
    "high_impact_justification",
    "risk_reasons",
)


@dataclass
class OwnershipGapRow:
    """A row of the ownership gaps page: the use case, why it is there, what the viewer may do."""

    use_case: UseCase
    reason: str
    can_accept: bool
    can_reassign: bool


class OwnershipGapsView(LoginRequiredMixin, TemplateView):
    """``/ownership-gaps/``: use cases without an active, confirmed owner (their owner left, only
    a contact mailbox, flagged by offboarding), for leads (their teams) and for curators,
    reviewers, responders and admins (every team). Anyone else gets a 404."""

    template_name = "registry/ownership_gaps.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        if not can_view_ownership_gaps(user):
            raise Http404("No such page.")
        gaps = ownership_gaps_for(user)
        selected = self.request.GET.get("team", "").strip()
        if selected:
            gaps = ownership_gaps_of_team(gaps, selected)
        page, notice = paginate(self.request, gaps, settings.CATALOG_PAGE_SIZE)
        context.update(
            page_obj=page,
            rows=[
                OwnershipGapRow(
                    use_case=use_case,
                    reason=ownership_gap_reason(use_case),
                    can_accept=can_accept_ownership(user, use_case),
                    can_reassign=can_reassign_owner(user, use_case),
                )
                for use_case in page.object_list
            ],
            teams=ownership_gap_teams(user),
            selected_team=selected,
            notices=[notice] if notice else [],
        )
        return context
