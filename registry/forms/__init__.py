"""Forms of the registry's pages."""

from .ownership import UseCaseOwnersForm
from .use_case import UseCaseForm, UseCaseRegistrationForms

__all__ = ["UseCaseForm", "UseCaseOwnersForm", "UseCaseRegistrationForms"]
