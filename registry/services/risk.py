"""Keeping a use case's computed risk tier current."""

from ..choices import UNSAFE_CREDENTIAL_STORAGE, CredentialStorage
from ..models import UseCase
from ..rules.risk import DataFact, RiskAssessment, RiskFacts, risk_assess


def risk_facts_for(use_case: UseCase) -> RiskFacts:
    """Read what ``use_case`` touches from the database (2 queries)."""
    data = tuple(
        DataFact(
            source_name=access.data_source.name,
            classification=access.data_source.classification,
            personal=access.data_source.has_personal_data,
            customer=access.data_source.has_customer_data,
            writes=access.writes,
        )
        for access in use_case.data_accesses.select_related("data_source")
    )
    unsafe = tuple(
        (use.credential.name, CredentialStorage(use.credential.storage).label)
        for use in use_case.credential_uses.select_related("credential").order_by("credential__name")
        if use.credential.storage in UNSAFE_CREDENTIAL_STORAGE
    )
    return RiskFacts(
        is_high_impact=use_case.is_high_impact,
        handles_personal_data=use_case.handles_personal_data,
        exposure=use_case.exposure,
        autonomy=use_case.autonomy,
        data=data,
        unsafe_credentials=unsafe,
    )


def use_case_refresh_risk(*, use_case: UseCase) -> RiskAssessment:
    """Recompute and store ``use_case.risk_tier`` and ``risk_reasons``.

    Returns:
        The assessment. Saves only the two risk fields, and only when they changed.
    """
    assessment = risk_assess(risk_facts_for(use_case))
    if (use_case.risk_tier, use_case.risk_reasons) != (assessment.tier, assessment.reasons):
        tier_changed = use_case.risk_tier != assessment.tier
        use_case.risk_tier = assessment.tier
        use_case.risk_reasons = assessment.reasons
        use_case.save(update_fields=["risk_tier", "risk_reasons", "updated_at"])
        if tier_changed:
            from .reviews import review_risk_ranks_sync

            review_risk_ranks_sync([use_case.pk])
    return assessment
