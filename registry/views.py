"""The registry's pages: the catalog (search, filters, sort, pagination, CSV export), a use
case's page, and the team and vendor pages.

Views are thin: selectors read (already restricted to the asker), the shared
``UseCaseFilterSet`` filters, templates show. Every page needs a signed-in person.
"""

import csv
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from accounts.choices import RoleGroup, TeamKind
from accounts.models import Team, User
from accounts.permissions import (
    can_accept_ownership,
    can_change_use_case,
    can_reassign_owner,
    can_view_credential_details,
    can_view_ownership_gaps,
)

from .choices import AITechnique, LifecycleStage, ReviewStatus, RiskTier, UseCaseKind
from .filtersets import SORTS, UseCaseFilterSet
from .forms import UseCaseOwnersForm
from .models import Credential, UseCase, Vendor
from .rules.risk import redact_reasons
from .selectors.credentials import credential_detail
from .selectors.ownership import (
    ownership_gap_reason,
    ownership_gap_teams,
    ownership_gaps_for,
    ownership_gaps_of_team,
)
from .selectors.people import person_credentials, person_for_page, person_use_cases
from .selectors.teams import team_children, team_for_page, team_memberships, team_use_cases, teams_tree
from .selectors.use_cases import use_case_detail, use_cases_sorted, use_cases_visible_to
from .selectors.vendors import (
    vendor_choices,
    vendor_for_page,
    vendor_models,
    vendor_use_cases,
    vendors_with_counts,
)
from .services.ownership import use_case_accept_ownership
from .services.use_cases import use_case_reassign_owners, use_case_retire

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


def home(request):
    """``/``: the catalog is the home page."""
    return redirect("registry:use_case_list")


# --- the catalog -------------------------------------------------------------------------


@dataclass
class FilterChip:
    """An active filter, shown as a chip whose link removes just that filter."""

    label: str
    remove_url: str


@dataclass
class Catalog:
    """The catalog's list as the request asks for it; shared by the page and the CSV export."""

    filterset: UseCaseFilterSet
    #: Filtered (invalid filters left out) and ordered; list rows already joined.
    queryset: QuerySet
    #: The sort applied (a key of ``SORT_LABELS``).
    sort: str
    #: The ``sort`` parameter to carry over when filters change ("" = the default order).
    sort_param: str
    searching: bool
    #: Friendly sentences about what was ignored (unknown filter values, unknown sort).
    notices: list[str] = field(default_factory=list)
    chips: list[FilterChip] = field(default_factory=list)


def catalog_for(request: HttpRequest) -> Catalog:
    """Read the catalog's parameters from ``request.GET`` and build the list.

    Unknown values never raise: each ignored filter is named in ``notices`` and the other
    filters still apply.
    """
    params = request.GET
    filterset = UseCaseFilterSet(params, queryset=use_cases_visible_to(request.user), request=request)
    queryset = filterset.qs.defer(*LIST_DEFERRED_FIELDS)  # django-filter applies only the valid filters
    errors = filterset.form.errors
    cleaned = filterset.form.cleaned_data
    notices = []
    for name in errors:
        shown = ", ".join(f"“{value}”" for value in params.getlist(name))
        notices.append(
            f"Ignored the {FILTER_LABELS.get(name, name).lower()} filter: {shown} is not a known value."
        )
    for name in BOOLEAN_FILTERS:
        # NullBooleanField turns any unknown value into "no filter" without an error.
        raw = params.get(name, "")
        if raw and cleaned.get(name) is None:
            notices.append(
                f"Ignored the {FILTER_LABELS[name].lower()} filter: “{raw}” is not one of true or false."
            )
    search_text = (cleaned.get("q") or cleaned.get("search") or "").strip()
    searching = bool(search_text)

    requested_sort = params.get("sort", "")
    queryset, sort = use_cases_sorted(queryset, requested_sort, searching=searching)
    if requested_sort and requested_sort not in SORTS and requested_sort != "relevance":
        notices.append(f"Ignored the sort “{requested_sort}”: it is not a known order.")
    sort_param = requested_sort if requested_sort in SORTS or requested_sort == "relevance" else ""

    return Catalog(
        filterset=filterset,
        queryset=queryset,
        sort=sort,
        sort_param=sort_param,
        searching=searching,
        notices=notices,
        chips=_filter_chips(params, cleaned, errors),
    )


def _filter_chips(params: QueryDict, cleaned: dict, errors) -> list[FilterChip]:
    chips = []
    for name, label in FILTER_LABELS.items():
        if name in errors or name not in params:
            continue
        value = cleaned.get(name)
        if name in MULTI_FILTERS:
            choices = MULTI_FILTERS[name]
            for raw in dict.fromkeys(params.getlist(name)):
                if raw:
                    chips.append(FilterChip(f"{label}: {choices(raw).label}", _without(params, name, raw)))
        elif name in BOOLEAN_FILTERS:
            if value is not None:
                chips.append(FilterChip(f"{label}: {'yes' if value else 'no'}", _without(params, name)))
        elif isinstance(value, Team | Vendor):
            chips.append(FilterChip(f"{label}: {value.name}", _without(params, name)))
        elif isinstance(value, str) and value.strip():
            chips.append(FilterChip(f"{label}: “{value.strip()}”", _without(params, name)))
    return chips


def _without(params: QueryDict, name: str, value: str | None = None) -> str:
    """The querystring (with "?") of ``params`` without ``name`` (or one of its values), page 1."""
    kept = params.copy()
    kept.pop("page", None)
    if value is None:
        kept.pop(name, None)
    else:
        kept.setlist(name, [v for v in kept.getlist(name) if v != value])
    return f"?{kept.urlencode()}"


def paginate(request: HttpRequest, queryset: QuerySet, per_page: int) -> tuple[Page, str]:
    """The requested page of ``queryset``; bad page numbers never raise.

    Returns:
        ``(page, notice)``: a page number that is not a number shows the first page, one out
        of range shows the last; ``notice`` then says so ("" otherwise).
    """
    paginator = Paginator(queryset, per_page)
    raw = request.GET.get("page", "").strip()
    page = paginator.get_page(raw)
    notice = ""
    if raw and raw != str(page.number):
        notice = (
            f"There is no page “{raw}”; showing page {page.number} of {paginator.num_pages}."
            if raw.isdigit()
            else f"“{raw}” is not a page number; showing page {page.number}."
        )
    return page, notice


class UseCaseListView(LoginRequiredMixin, TemplateView):
    """``/use-cases/``: the catalog. An htmx request gets only the results region."""

    template_name = "registry/use_case_list.html"

    def get_template_names(self):
        htmx = getattr(self.request, "htmx", None)
        if htmx and not htmx.history_restore_request:
            return [f"{self.template_name}#results"]
        return [self.template_name]

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        # The same URL answers a full page or a fragment: caches must tell them apart.
        patch_vary_headers(response, ["HX-Request"])
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        catalog = catalog_for(self.request)
        page, page_notice = paginate(self.request, catalog.queryset, settings.CATALOG_PAGE_SIZE)
        notices = catalog.notices + ([page_notice] if page_notice else [])
        params = self.request.GET
        context.update(
            catalog=catalog,
            page_obj=page,
            use_cases=page.object_list,
            notices=notices,
            sort_options=[
                (key, label) for key, label in SORT_LABELS.items() if key != "relevance" or catalog.searching
            ],
            export_query=_without(params, "page") if params else "",
        )
        htmx = getattr(self.request, "htmx", None)
        if not (htmx and not htmx.history_restore_request):
            # The filter form is outside the results region: only full pages need its choices.
            context.update(
                q=params.get("q", ""),
                team_tree=teams_tree(),
                vendor_options=vendor_choices(),
                selected_team=params.get("team", ""),
                selected_vendor=params.get("vendor", ""),
                multi_filters=[
                    {
                        "name": name,
                        "label": FILTER_LABELS[name],
                        "selected_count": len([v for v in params.getlist(name) if v]),
                        "options": [
                            (value, label, value in params.getlist(name)) for value, label in choices.choices
                        ],
                    }
                    for name, choices in MULTI_FILTERS.items()
                ],
                boolean_filters=[
                    {"name": name, "label": FILTER_LABELS[name], "value": params.get(name, "")}
                    for name in BOOLEAN_FILTERS
                ],
            )
        return context


class _Echo:
    """A write-only file-like object: ``csv.writer`` hands back each line for streaming."""

    def write(self, value):
        return value


#: Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

EXPORT_HEADER = [
    "id",
    "name",
    "team",
    "agency",
    "owner",
    "owner or contact email",
    "stage",
    "kind",
    "technique",
    "vendors",
    "risk tier",
    "review status",
    "high impact",
    "personal data",
    "external id",
    "purpose",
    "url",
]


def csv_safe(value) -> str:
    """``value`` as a CSV cell that no spreadsheet evaluates as a formula.

    Returns:
        The text, with a leading apostrophe when it starts with ``= + - @`` (or a tab or
        carriage return), as OWASP recommends against CSV injection.
    """
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_PREFIXES) else text


#: Value -> label of each choice field the export shows (a dict lookup per cell: Django's
#: get_FOO_display() costs ~20x more and dominated the export's time on 3,611 rows).
_LABELS = {
    "lifecycle_stage": dict(LifecycleStage.choices),
    "kind": dict(UseCaseKind.choices),
    "technique": dict(AITechnique.choices),
    "risk_tier": dict(RiskTier.choices),
    "review_status": dict(ReviewStatus.choices),
}


#: The columns the export reads (``.only()``): loading whole rows of use case, team, parent
#: team and owner (timestamps, JSON, text) took most of the export's time.
_EXPORT_FIELDS = (
    "id",
    "name",
    "purpose",
    "kind",
    "technique",
    "lifecycle_stage",
    "risk_tier",
    "review_status",
    "is_high_impact",
    "handles_personal_data",
    "external_id",
    "contact_email",
    "team__name",
    "team__kind",
    "team__parent__name",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
    "owner__email",
)


def _export_queryset(queryset: QuerySet) -> QuerySet:
    """``queryset`` (filtered and ordered) reading only what the export writes."""
    vendors = Prefetch(
        "vendors", queryset=Vendor.objects.only("id", "name").order_by("name"), to_attr="export_vendors"
    )
    return queryset.only(*_EXPORT_FIELDS).prefetch_related(None).prefetch_related(vendors)


def _export_row(use_case: UseCase, url_pattern: str) -> list[str]:
    team = use_case.team
    # An agency is the parent of a bureau; a top-level organisation unit is its own agency.
    agency = team.parent.name if team.parent_id else (team.name if team.kind == TeamKind.ORGANISATION else "")
    owner = use_case.owner
    return [
        csv_safe(cell)
        for cell in (
            use_case.pk,
            use_case.name,
            team.name,
            agency,
            str(owner) if owner else "",
            (owner.email if owner and owner.email else use_case.contact_email),
            _LABELS["lifecycle_stage"].get(use_case.lifecycle_stage, use_case.lifecycle_stage),
            _LABELS["kind"].get(use_case.kind, use_case.kind),
            _LABELS["technique"].get(use_case.technique, use_case.technique),
            "; ".join(vendor.name for vendor in use_case.export_vendors),
            _LABELS["risk_tier"].get(use_case.risk_tier, use_case.risk_tier),
            _LABELS["review_status"].get(use_case.review_status, use_case.review_status),
            "yes" if use_case.is_high_impact else "no",
            "yes" if use_case.handles_personal_data else "no",
            use_case.external_id,
            use_case.purpose,
            url_pattern.format(use_case.pk),
        )
    ]


class UseCaseExportView(LoginRequiredMixin, View):
    """``/use-cases/export.csv``: exactly the catalog's filtered list (every page), streamed."""

    def get(self, request, *args, **kwargs):
        catalog = catalog_for(request)
        # One reverse() for the whole file instead of one per row.
        url_pattern = request.build_absolute_uri(
            reverse("registry:use_case_detail", args=[987654321])
        ).replace("987654321", "{}")
        writer = csv.writer(_Echo())

        def lines():
            yield writer.writerow(EXPORT_HEADER)
            # chunk_size keeps memory flat and lets prefetch_related (vendors) work per chunk.
            for use_case in _export_queryset(catalog.queryset).iterator(chunk_size=2000):
                yield writer.writerow(_export_row(use_case, url_pattern))

        filename = f"use-cases-{timezone.localdate():%Y-%m-%d}.csv"
        return StreamingHttpResponse(
            lines(),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )


# --- a use case's page -------------------------------------------------------------------


class UseCaseDetailView(LoginRequiredMixin, TemplateView):
    """``/use-cases/<pk>/``: everything known about one use case, grouped."""

    template_name = "registry/use_case_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            use_case = use_case_detail(user=self.request.user, pk=kwargs["pk"])
        except UseCase.DoesNotExist:
            raise Http404("No use case with this id is visible to you.") from None
        source_row = use_case.source_row
        if isinstance(source_row, dict):
            source_items = list(source_row.items())
        elif isinstance(source_row, list):  # a list of [column, value] pairs keeps column order
            source_items = [tuple(pair) for pair in source_row if len(pair) == 2]
        else:
            source_items = []
        credential_details = can_view_credential_details(self.request.user, use_case)
        context.update(
            use_case=use_case,
            can_change=can_change_use_case(self.request.user, use_case),
            can_reassign=can_reassign_owner(self.request.user, use_case),
            credential_details=credential_details,
            risk_reasons=use_case.risk_reasons
            if credential_details
            else redact_reasons(use_case.risk_reasons),
            source_items=source_items,
            builders=list(use_case.builders.all()),
            reviews=list(use_case.reviews.all()),
        )
        return context


class UseCaseRetireView(LoginRequiredMixin, View):
    """``POST /use-cases/<pk>/retire/``: the soft delete (only admins delete, in the admin)."""

    def post(self, request, pk):
        use_case = _visible_use_case_or_404(request.user, pk)
        try:
            use_case_retire(use_case=use_case, actor=request.user)
        except PermissionDenied:
            raise Http404("No use case with this id may be retired by you.") from None
        messages.success(request, f"“{use_case.name}” is retired. It stays in the registry and its history.")
        return redirect(use_case)


class UseCaseOwnersView(LoginRequiredMixin, TemplateView):
    """``/use-cases/<pk>/owners/``: a team lead reassigns the owner and backup owner."""

    template_name = "registry/use_case_owners.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.use_case = _visible_use_case_or_404(request.user, kwargs["pk"])
        if not can_reassign_owner(request.user, self.use_case):
            raise Http404("Only the team's lead can reassign this use case's owners.")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        form = kwargs.get("form") or UseCaseOwnersForm(
            team=self.use_case.team,
            initial={"owner": self.use_case.owner_id, "backup_owner": self.use_case.backup_owner_id},
        )
        return super().get_context_data(use_case=self.use_case, form=form, **kwargs)

    def post(self, request, pk):
        form = UseCaseOwnersForm(request.POST, team=self.use_case.team)
        if form.is_valid():
            try:
                use_case_reassign_owners(
                    use_case=self.use_case,
                    actor=request.user,
                    owner=form.cleaned_data["owner"],
                    backup_owner=form.cleaned_data["backup_owner"],
                )
            except ValidationError as error:
                for field_name, field_errors in error.message_dict.items():
                    for message in field_errors:
                        form.add_error(field_name, message)
            else:
                messages.success(request, "Owners updated.")
                return redirect(self.use_case)
        return self.render_to_response(self.get_context_data(form=form))


def _visible_use_case_or_404(user, pk) -> UseCase:
    try:
        return UseCase.objects.restrict(user, "view").select_related("team", "owner").get(pk=pk)
    except UseCase.DoesNotExist:
        raise Http404("No use case with this id is visible to you.") from None


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


class UseCaseAcceptOwnershipView(LoginRequiredMixin, View):
    """``POST /use-cases/<pk>/accept-ownership/``: take (or confirm) ownership of a use case,
    then go back to ``next`` (a page of this site) or to the use case."""

    http_method_names = ["post"]

    def post(self, request, pk):
        use_case = _visible_use_case_or_404(request.user, pk)
        was_owner = use_case.owner_id == request.user.pk
        try:
            use_case_accept_ownership(use_case=use_case, actor=request.user)
        except PermissionDenied:
            raise Http404("You may not accept ownership of this use case.") from None
        messages.success(
            request,
            f"You confirmed that you own “{use_case.name}”."
            if was_owner
            else f"You are now the owner of “{use_case.name}”.",
        )
        target = request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(target)
        return redirect(use_case)
