"""Querysets of the registry. Every list starts from ``restrict(user, action)``."""

from django.db import models


class UseCaseQuerySet(models.QuerySet):
    def restrict(self, user, action="view"):
        """The use cases ``user`` may perform ``action`` on.

        Args:
            user: the asking person (may be anonymous).
            action: ``"view"`` (the public fields every signed-in person may read) or
                ``"change"``.

        Returns:
            A queryset; anonymous and inactive people get an empty one.
        """
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if action == "view":
            return self
        if user.is_superuser:
            return self
        # Until per-team rules exist, only owners and builders may change a use case.
        return self.filter(models.Q(owner=user) | models.Q(builders=user)).distinct()

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
