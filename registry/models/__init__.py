"""The registry's models, one module per concept group, re-exported here."""

from .catalog import AIModel, Credential, DataSource, FoundationDocument, Vendor
from .guard import SecretRefusal
from .imports import ImportBatch
from .permissions import UseCaseGroupObjectPermission, UseCaseUserObjectPermission
from .reviews import SecurityReview
from .use_cases import Connection, CredentialUse, DataAccess, FoundationDocumentUse, UseCase, VendorUse

__all__ = [
    "AIModel",
    "Connection",
    "Credential",
    "CredentialUse",
    "DataAccess",
    "DataSource",
    "FoundationDocument",
    "FoundationDocumentUse",
    "ImportBatch",
    "SecretRefusal",
    "SecurityReview",
    "UseCase",
    "UseCaseGroupObjectPermission",
    "UseCaseUserObjectPermission",
    "Vendor",
    "VendorUse",
]
