"""A person's own use cases and their teams' use cases, each row with what needs attention."""

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from accounts.models import Team
from accounts.permissions import standing_of

from ..selectors.attention import ATTENTION_ITEMS, attention_items, my_team_use_cases, my_use_cases
from .catalog import paginate


class _AttentionListView(LoginRequiredMixin, TemplateView):
    """A list of use cases with their attention items; ``?attention=1`` keeps only those that
    need something. Paginated like the catalog; a fixed number of queries per page."""

    template_name = "registry/my_use_cases.html"
    scope = ""
    title = ""
    intro = ""

    def rows(self, attention_only: bool):
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        attention_only = self.request.GET.get("attention") == "1"
        page, notice = paginate(self.request, self.rows(attention_only), settings.CATALOG_PAGE_SIZE)
        rows = [(use_case, attention_items(use_case)) for use_case in page.object_list]
        context.update(
            scope=self.scope,
            title=self.title,
            intro=self.intro,
            page_obj=page,
            rows=rows,
            notice=notice,
            attention_only=attention_only,
            attention_labels=[item.label for item in ATTENTION_ITEMS.values()],
        )
        return context


class MyUseCasesView(_AttentionListView):
    """``/my/use-cases/``: what I own, back up or build."""

    scope = "mine"
    title = "My use cases"
    intro = "What you own, back up or build, what needs attention first."

    def rows(self, attention_only):
        return my_use_cases(self.request.user, attention_only=attention_only)


class MyTeamUseCasesView(_AttentionListView):
    """``/my/team/``: every use case of the teams I belong to."""

    scope = "team"
    title = "My team's use cases"

    def rows(self, attention_only):
        return my_team_use_cases(self.request.user, attention_only=attention_only)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        teams = Team.objects.filter(pk__in=standing_of(self.request.user).team_ids).order_by("name")
        context["teams"] = list(teams)
        context["intro"] = "Every use case of the teams you belong to, what needs attention first."
        return context
