"""Forms of the registry's pages."""

from .ownership import UseCaseOwnersForm

__all__ = ["UseCaseOwnersForm"]
