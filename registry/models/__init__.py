"""The registry's models, one module per concept group, re-exported here."""

from .catalog import AIModel, Credential, DataSource, FoundationDocument, Vendor
from .guard import SecretRefusal
from .history import HistoryEntry
from .imports import ImportBatch
from .incidents import Incident, IncidentRecipient, IncidentUseCase
from .library import Adoption, FoundationDocumentVersion, LibraryEntry, UsageReport
from .notifications import Notification
from .permissions import UseCaseGroupObjectPermission, UseCaseUserObjectPermission
from .reviews import SecurityReview
from .use_cases import Connection, CredentialUse, DataAccess, FoundationDocumentUse, UseCase, VendorUse

__all__ = [
    "Adoption",
    "FoundationDocumentVersion",
    "Incident",
    "IncidentRecipient",
    "IncidentUseCase",
    "LibraryEntry",
    "UsageReport",
    "AIModel",
    "Connection",
    "Credential",
    "CredentialUse",
    "DataAccess",
    "DataSource",
    "FoundationDocument",
    "FoundationDocumentUse",
    "HistoryEntry",
    "ImportBatch",
    "Notification",
    "SecretRefusal",
    "SecurityReview",
    "UseCase",
    "UseCaseGroupObjectPermission",
    "UseCaseUserObjectPermission",
    "Vendor",
    "VendorUse",
]
