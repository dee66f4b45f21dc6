"""The registry's models, one module per concept group, re-exported here."""

from .catalog import AIModel, Credential, DataSource, FoundationDocument, Vendor
from .imports import ImportBatch
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
    "SecurityReview",
    "UseCase",
    "Vendor",
    "VendorUse",
]
