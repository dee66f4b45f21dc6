"""The registry's pages, one module per group of pages; re-exported here for the URLconf.

Views are thin: selectors read (already restricted to the asker), services write, templates show.
"""

from .catalog import EXPORT_HEADER, SORT_LABELS, UseCaseExportView, UseCaseListView, csv_safe, home
from .directory import (
    CredentialDetailView,
    PersonDetailView,
    TeamDetailView,
    TeamListView,
    VendorDetailView,
    VendorListView,
)
from .ownership import OwnershipGapsView
from .use_cases import UseCaseAcceptOwnershipView, UseCaseDetailView, UseCaseOwnersView, UseCaseRetireView

__all__ = [
    "EXPORT_HEADER",
    "SORT_LABELS",
    "CredentialDetailView",
    "OwnershipGapsView",
    "PersonDetailView",
    "TeamDetailView",
    "TeamListView",
    "UseCaseAcceptOwnershipView",
    "UseCaseDetailView",
    "UseCaseExportView",
    "UseCaseListView",
    "UseCaseOwnersView",
    "UseCaseRetireView",
    "VendorDetailView",
    "VendorListView",
    "csv_safe",
    "home",
]
