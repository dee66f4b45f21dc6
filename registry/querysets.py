"""Querysets of the registry. Every list starts from ``restrict(user, action)``."""

from django.db import models


class UseCaseQuerySet(models.QuerySet):
    def restrict(self, user, action="view"):
        """The use cases ``user`` may perform ``action`` on (rules: ``accounts.permissions``).

        Args:
            user: the asking person (may be anonymous or inactive: they get nothing).
            action: ``"view"`` (public fields; drafts only to those involved) or ``"change"``.

        Returns:
            A queryset filtered by foreign keys and, for grants, ``id IN`` subqueries: no
            duplicate rows and no per-row permission check.

        Raises:
            ValueError: for an unknown action.
        """
        from accounts.permissions import use_case_change_filter, use_case_view_filter

        if action == "view":
            condition = use_case_view_filter(user)
            return self if condition is None else self.filter(condition)
        if action == "change":
            return self.filter(use_case_change_filter(user))
        raise ValueError(f"unknown action {action!r}")

    def active(self):
        """Use cases that are not retired."""
        return self.exclude(lifecycle_stage="retired")

    def with_list_related(self):
        """Everything a list row shows, in a fixed number of queries whatever the page size."""
        from .models import Vendor

        # A use case calling two models of one vendor has two vendor-use rows: distinct() lists
        # the vendor once per use case.
        vendors = models.Prefetch("vendors", queryset=Vendor.objects.only("id", "name", "slug").distinct())
        return self.select_related("team", "team__parent", "owner").prefetch_related(vendors)
