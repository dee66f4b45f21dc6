"""The registry's pages, one module per group of pages; re-exported here for the URLconf.

Views are thin: selectors read (already restricted to the asker), services write, templates show.
"""

from .catalog import EXPORT_HEADER, SORT_LABELS, UseCaseExportView, UseCaseListView, csv_safe, home
from .dashboard import DashboardExportView, DashboardView
from .directory import (
    CredentialDetailView,
    PersonDetailView,
    TeamDetailView,
    TeamListView,
    VendorDetailView,
    VendorListView,
)
from .incidents import (
    IncidentAcknowledgeLinkView,
    IncidentActionView,
    IncidentDetailView,
    IncidentListView,
    IncidentOpenView,
    TeamConnectionsView,
    UseCaseArchitectureView,
    WhoBuiltWhatFindView,
    WhoBuiltWhatView,
)
from .library import (
    FoundationDocumentDetailView,
    FoundationDocumentListView,
    FoundationVersionPublishView,
    LibraryAdoptView,
    LibraryCandidatesView,
    LibraryDeprecateView,
    LibraryEntryDetailView,
    LibraryEntryEditView,
    LibraryListView,
    LibraryUnlistView,
    UseCasePromoteView,
    UseCaseUsageView,
)
from .my_use_cases import MyTeamUseCasesView, MyUseCasesView
from .ownership import OwnershipGapsView
from .registration import (
    UseCaseFormView,
    UseCasePickerView,
    UseCaseRiskPreviewView,
    UseCaseSimilarView,
    UseCaseSubmitView,
)
from .reviews import ReviewActionView, ReviewDetailView, ReviewQueueView
from .use_cases import UseCaseAcceptOwnershipView, UseCaseDetailView, UseCaseOwnersView, UseCaseRetireView

__all__ = [
    "FoundationDocumentDetailView",
    "FoundationDocumentListView",
    "FoundationVersionPublishView",
    "LibraryAdoptView",
    "LibraryCandidatesView",
    "LibraryDeprecateView",
    "LibraryEntryDetailView",
    "LibraryEntryEditView",
    "LibraryListView",
    "LibraryUnlistView",
    "UseCasePromoteView",
    "UseCaseUsageView",
    "EXPORT_HEADER",
    "SORT_LABELS",
    "CredentialDetailView",
    "DashboardExportView",
    "DashboardView",
    "IncidentAcknowledgeLinkView",
    "IncidentActionView",
    "IncidentDetailView",
    "IncidentListView",
    "IncidentOpenView",
    "MyTeamUseCasesView",
    "MyUseCasesView",
    "OwnershipGapsView",
    "PersonDetailView",
    "ReviewActionView",
    "ReviewDetailView",
    "ReviewQueueView",
    "TeamConnectionsView",
    "TeamDetailView",
    "TeamListView",
    "UseCaseAcceptOwnershipView",
    "UseCaseArchitectureView",
    "UseCaseDetailView",
    "UseCaseExportView",
    "UseCaseFormView",
    "UseCaseListView",
    "UseCaseOwnersView",
    "UseCasePickerView",
    "UseCaseRetireView",
    "UseCaseRiskPreviewView",
    "UseCaseSimilarView",
    "UseCaseSubmitView",
    "VendorDetailView",
    "VendorListView",
    "WhoBuiltWhatFindView",
    "WhoBuiltWhatView",
    "csv_safe",
    "home",
]
