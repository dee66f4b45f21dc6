"""The directory pages: credentials, teams, vendors and people."""

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.views.generic import TemplateView

from accounts.choices import RoleGroup
from accounts.models import Team, User

from ..models import Credential, Vendor
from ..selectors.credentials import credential_detail
from ..selectors.people import person_credentials, person_for_page, person_use_cases
from ..selectors.teams import team_children, team_for_page, team_memberships, team_use_cases, teams_tree
from ..selectors.use_cases import use_cases_sorted
from ..selectors.vendors import (
    vendor_for_page,
    vendor_models,
    vendor_use_cases,
    vendors_with_counts,
)
from .catalog import LIST_DEFERRED_FIELDS, SORT_LABELS, paginate

# --- credentials -------------------------------------------------------------------------


class CredentialDetailView(LoginRequiredMixin, TemplateView):
    """``/credentials/<pk>/``: a credential reference's details and every use case using it.

    Only people who may see its details get the page; everyone else gets a 404.
    """

    template_name = "registry/credential_detail.html"

    def get_context_data(self, **kwargs):
        try:
            credential = credential_detail(user=self.request.user, pk=kwargs["pk"])
        except Credential.DoesNotExist:
            raise Http404("No credential with this id is visible to you.") from None
        return super().get_context_data(credential=credential, uses=list(credential.credential_uses.all()))


# --- teams -------------------------------------------------------------------------------


class TeamListView(LoginRequiredMixin, TemplateView):
    """``/teams/``: agencies (top-level teams) with their bureaus and use-case counts."""

    template_name = "registry/team_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        roots = teams_tree(counts_for=self.request.user)
        context.update(
            teams=roots,
            team_count=sum(1 + len(root.children) for root in roots),
        )
        return context


def _sorted_page(request, queryset):
    """Sort (``sort`` parameter) and paginate a use-case list like the catalog does."""
    queryset, sort = use_cases_sorted(
        queryset.defer(*LIST_DEFERRED_FIELDS), request.GET.get("sort"), searching=False
    )
    page, notice = paginate(request, queryset, settings.CATALOG_PAGE_SIZE)
    return {
        "page_obj": page,
        "use_cases": page.object_list,
        "sort": sort,
        "sort_options": [(key, label) for key, label in SORT_LABELS.items() if key != "relevance"],
        "notices": [notice] if notice else [],
    }


class TeamDetailView(LoginRequiredMixin, TemplateView):
    """``/teams/<slug>/``: a team, its parent and children, members, and its use cases."""

    template_name = "registry/team_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            team = team_for_page(slug=kwargs["slug"])
        except Team.DoesNotExist:
            raise Http404("No team with this name.") from None
        context.update(
            team=team,
            children=list(team_children(team=team, user=self.request.user)),
            memberships=list(team_memberships(team=team)),
            **_sorted_page(self.request, team_use_cases(team=team, user=self.request.user)),
        )
        return context


# --- vendors -----------------------------------------------------------------------------


class VendorListView(LoginRequiredMixin, TemplateView):
    """``/vendors/``: every vendor with the number of use cases calling it."""

    template_name = "registry/vendor_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["vendors"] = list(vendors_with_counts(user=self.request.user))
        return context


class VendorDetailView(LoginRequiredMixin, TemplateView):
    """``/vendors/<slug>/``: a vendor, its models/products and the use cases calling it."""

    template_name = "registry/vendor_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            vendor = vendor_for_page(slug=kwargs["slug"])
        except Vendor.DoesNotExist:
            raise Http404("No vendor with this name.") from None
        context.update(
            vendor=vendor,
            models=list(vendor_models(vendor=vendor, user=self.request.user)),
            **_sorted_page(self.request, vendor_use_cases(vendor=vendor, user=self.request.user)),
        )
        return context


# --- people and ownership gaps -----------------------------------------------------------


class PersonDetailView(LoginRequiredMixin, TemplateView):
    """``/people/<username>/``: a person (active or left), their teams and roles, the use cases
    they own, back up and built, and the credentials they hold.

    Lists show only what the viewer may see; a credential's details only where the viewer may
    see them (the others are counted, never named).
    """

    template_name = "accounts/person_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        viewer = self.request.user
        try:
            person = person_for_page(username=kwargs["username"])
        except User.DoesNotExist:
            raise Http404("No person with this username.") from None
        credentials, other_credentials = person_credentials(person=person, viewer=viewer)
        roles = [
            RoleGroup(group.name).label for group in person.groups.all() if group.name in RoleGroup.values
        ]
        if person.is_superuser:
            roles.append("Admin")
        context.update(
            person=person,
            memberships=list(person.memberships.all()),
            roles=roles,
            lists=person_use_cases(person=person, viewer=viewer),
            credentials=credentials,
            other_credentials=other_credentials,
        )
        return context
