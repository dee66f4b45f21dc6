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

from ..models import UseCase
from ..selectors.ownership import (
    ownership_gap_reason,
    ownership_gap_teams,
    ownership_gaps_for,
    ownership_gaps_of_team,
)
from .catalog import paginate


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
