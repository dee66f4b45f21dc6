"""Reads of credential references, restricted to who may see their details."""

from django.db.models import Prefetch, QuerySet

from accounts.permissions import credential_details_filter

from ..models import Credential, CredentialUse, UseCase


def credentials_visible_to(user) -> QuerySet:
    """Credentials whose details (storage, vault reference, scope, holder) ``user`` may see."""
    condition = credential_details_filter(user)
    queryset = Credential.objects.select_related("issuer", "owner", "team")
    return queryset if condition is None else queryset.filter(condition)


def credential_detail(*, user, pk: int) -> Credential:
    """One credential with the use cases using it (only those ``user`` may see).

    Raises:
        Credential.DoesNotExist: unknown, or its details are not visible to ``user`` (404).
    """
    uses = CredentialUse.objects.filter(use_case__in=UseCase.objects.restrict(user, "view")).select_related(
        "use_case", "use_case__team", "use_case__owner"
    )
    return (
        credentials_visible_to(user)
        .prefetch_related(Prefetch("credential_uses", queryset=uses.order_by("use_case__name")))
        .get(pk=pk)
    )
