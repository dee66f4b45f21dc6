"""Reads of vendors and their models for the pages ("which use cases call vendor X").

Use-case counts only count what the asker may see (``use_cases_visible_to``).
"""

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from ..models import AIModel, Vendor, VendorUse
from .use_cases import use_cases_visible_to


def vendor_choices() -> list[tuple[str, str]]:
    """``(slug, name)`` of every vendor by name, for the catalog's vendor picker (one query)."""
    return list(Vendor.objects.order_by("name").values_list("slug", "name"))


def vendors_with_counts(*, user) -> QuerySet:
    """Every vendor by name, annotated ``use_case_count`` (distinct use cases ``user`` may see).

    Returns:
        A ``Vendor`` queryset; one query when evaluated.
    """
    visible = use_cases_visible_to(user).order_by().values("pk")
    return Vendor.objects.order_by("name").annotate(
        use_case_count=Count(
            "vendor_uses__use_case", filter=Q(vendor_uses__use_case__in=visible), distinct=True
        )
    )


def vendor_for_page(*, slug: str) -> Vendor:
    """The vendor shown at ``/vendors/<slug>/``.

    Raises:
        Vendor.DoesNotExist: no vendor has this slug.
    """
    return Vendor.objects.get(slug=slug)


def vendor_models(*, vendor: Vendor, user) -> QuerySet:
    """The models/products of ``vendor`` by name, annotated ``use_case_count`` (visible ones)."""
    visible = use_cases_visible_to(user).order_by().values("pk")
    return (
        AIModel.objects.filter(vendor=vendor)
        .order_by("name")
        .annotate(
            use_case_count=Count(
                "vendor_uses__use_case", filter=Q(vendor_uses__use_case__in=visible), distinct=True
            )
        )
    )


def vendor_use_cases(*, vendor: Vendor, user) -> QuerySet:
    """The use cases calling ``vendor`` (any of its models) that ``user`` may see.

    Same rule as the catalog's ``vendor`` filter, so the page and the filtered catalog agree;
    an ``EXISTS`` keeps one row per use case.
    """
    return use_cases_visible_to(user).filter(
        Exists(VendorUse.objects.filter(use_case=OuterRef("pk"), vendor=vendor))
    )
