"""The catalog: search, filters, sort, pagination and the CSV export."""

import csv
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views import View
from django.views.generic import TemplateView

from accounts.choices import TeamKind
from accounts.models import Team

from ..choices import AITechnique, CredentialStorage, LifecycleStage, ReviewStatus, RiskTier, UseCaseKind
from ..filtersets import SORTS, UseCaseFilterSet
from ..models import UseCase, Vendor
from ..pagination import (
    END,
    InvalidCursor,
    keyset_page,
    keyset_supported,
    page_cursors,
)
from ..selectors.teams import teams_tree
from ..selectors.use_cases import use_cases_sorted, use_cases_visible_to
from ..selectors.vendors import (
    vendor_choices,
)

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
    "owner_left": "Owner has left",
    "active_backup_owner": "Active backup owner",
    "imported": "Imported",
    "credential_storage": "Credential stored in",
}

#: Multiple-choice filters: parameter -> choices (one chip per chosen value).
MULTI_FILTERS = {
    "stage": LifecycleStage,
    "kind": UseCaseKind,
    "risk_tier": RiskTier,
    "review_status": ReviewStatus,
    "credential_storage": CredentialStorage,
}

#: Yes/no filters (any other value is ignored with a notice).
BOOLEAN_FILTERS = (
    "high_impact",
    "personal_data",
    "named_owner",
    "owner_left",
    "active_backup_owner",
    "imported",
)

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
    for position in ("page", "after", "before"):
        kept.pop(position, None)
    if value is None:
        kept.pop(name, None)
    else:
        kept.setlist(name, [v for v in kept.getlist(name) if v != value])
    return f"?{kept.urlencode()}"


def paginate(
    request: HttpRequest, queryset: QuerySet, per_page: int, paginator_class=Paginator
) -> tuple[Page, str]:
    """The requested page of ``queryset``; bad page numbers never raise.

    Returns:
        ``(page, notice)``: a page number that is not a number shows the first page, one out
        of range shows the last; ``notice`` then says so ("" otherwise).
    """
    paginator = paginator_class(queryset, per_page)
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


class _Paginator:
    """What the pagination component reads of a paginator: ``count`` and ``num_pages``;
    ``capped``: the count stopped at ``SEARCH_COUNT_LIMIT`` (shown as "1,000+")."""

    def __init__(self, count: int, per_page: int, capped: bool = False):
        self.count = count
        self.capped = capped
        self.num_pages = max(1, -(-count // per_page))


#: A search counts its matches up to this many: a word found in a third of 100,000 use cases
#: would otherwise cost a second just to say "34,370"; beyond it the page says "1,000+" and
#: lists the 1,000 best (ranked) matches, enough to refine from.
SEARCH_COUNT_LIMIT = 1000


class _BoundedPaginator(Paginator):
    """Django's paginator with a count that stops at ``SEARCH_COUNT_LIMIT``; the pages beyond
    it are not offered."""

    @property
    def count(self):
        if not hasattr(self, "_bounded_count"):
            found = self.object_list.order_by().values("pk")[: SEARCH_COUNT_LIMIT + 1].count()
            self.capped = found > SEARCH_COUNT_LIMIT
            self._bounded_count = min(found, SEARCH_COUNT_LIMIT)
        return self._bounded_count


@dataclass
class LinkedPage:
    """A page of the catalog with its navigation links already made (querystrings with "?").

    Next, Previous and Last carry a keyset cursor when the order allows one, so walking deep
    into the list costs what the first page costs; First and bookmarked ``?page=N`` links are
    plain offsets. Duck-types what templates read of Django's ``Page``.
    """

    object_list: list
    number: int
    paginator: _Paginator
    first_url: str | None = None
    previous_url: str | None = None
    next_url: str | None = None
    last_url: str | None = None

    @property
    def has_previous(self) -> bool:
        return self.previous_url is not None

    @property
    def has_next(self) -> bool:
        return self.next_url is not None


def _page_query(params: QueryDict, **changes) -> str:
    kept = params.copy()
    for name in ("page", "after", "before"):
        kept.pop(name, None)
    for name, value in changes.items():
        if value is not None:
            kept[name] = str(value)
    return f"?{kept.urlencode()}"


def catalog_page(request: HttpRequest, catalog: Catalog, per_page: int) -> tuple[LinkedPage, str]:
    """The catalog's page as asked (``page``, ``after`` or ``before``) with its links.

    Returns:
        ``(page, notice)``; a cursor that is not a position in this list shows the first page
        with a notice, never an error.
    """
    params = request.GET
    ordering = SORTS.get(catalog.sort) if catalog.sort != "risk" else None
    seekable = ordering is not None and keyset_supported(ordering)
    after, before = params.get("after"), params.get("before")
    # A search counts its matches only up to SEARCH_COUNT_LIMIT, on offset and keyset pages alike.
    paginator_class = _BoundedPaginator if catalog.searching else Paginator
    notice = ""
    if seekable and (after or before):
        counted = paginator_class(catalog.queryset, per_page)
        paginator = _Paginator(counted.count, per_page, getattr(counted, "capped", False))
        raw = params.get("page", "")
        number = min(max(int(raw), 1), paginator.num_pages) if raw.isdigit() else 1
        try:
            found = keyset_page(
                catalog.queryset, ordering, per_page, after=after or None, before=before or None
            )
        except InvalidCursor:
            notice = "That page link no longer points into this list; showing the first page."
            found = keyset_page(catalog.queryset, ordering, per_page)
            number = 1
        if before == END:
            number = paginator.num_pages
        rows, previous_cursor, next_cursor = found.object_list, found.previous_cursor, found.next_cursor
    else:
        page, notice = paginate(request, catalog.queryset, per_page, paginator_class=paginator_class)
        paginator = _Paginator(page.paginator.count, per_page, getattr(page.paginator, "capped", False))
        number, rows = page.number, list(page.object_list)
        previous_cursor, next_cursor = page_cursors(page, ordering) if seekable else (None, None)
        if not seekable:
            return (
                LinkedPage(
                    rows,
                    number,
                    paginator,
                    first_url=_page_query(params, page=1) if page.has_previous() else None,
                    previous_url=_page_query(params, page=number - 1) if page.has_previous() else None,
                    next_url=_page_query(params, page=number + 1) if page.has_next() else None,
                    last_url=_page_query(params, page=paginator.num_pages) if page.has_next() else None,
                ),
                notice,
            )
    has_previous = number > 1 and (previous_cursor is not None or before == END)
    has_next = next_cursor is not None
    previous_url = None
    if has_previous:
        previous_url = (
            _page_query(params, page=1)
            if number - 1 <= 1 or previous_cursor is None
            else _page_query(params, before=previous_cursor, page=number - 1)
        )
    return (
        LinkedPage(
            rows,
            number,
            paginator,
            first_url=_page_query(params, page=1) if has_previous else None,
            previous_url=previous_url,
            next_url=_page_query(params, after=next_cursor, page=number + 1) if has_next else None,
            last_url=_page_query(params, before=END, page=paginator.num_pages) if has_next else None,
        ),
        notice,
    )


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
        page, page_notice = catalog_page(self.request, catalog, settings.CATALOG_PAGE_SIZE)
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
            export_query=_page_query(params) if params else "",
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
