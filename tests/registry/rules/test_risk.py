"""The risk tier rule: each factor on its own, and together."""

import pytest

from registry.choices import Autonomy, DataClassification, Exposure, RiskTier
from registry.rules.risk import DataFact, RiskFacts, risk_assess


def fact(classification=DataClassification.INTERNAL, personal=False, writes=False, name="CRM"):
    return DataFact(
        source_name=name, classification=classification, personal=personal, customer=False, writes=writes
    )


@pytest.mark.parametrize(
    ("facts", "tier", "reason"),
    [
        (RiskFacts(), RiskTier.LOW, None),
        (RiskFacts(data=(fact(DataClassification.PUBLIC),)), RiskTier.LOW, None),
        (RiskFacts(data=(fact(DataClassification.INTERNAL),)), RiskTier.LOW, "uses internal data (CRM)"),
        (RiskFacts(data=(fact(DataClassification.CONFIDENTIAL),)), RiskTier.MEDIUM, "uses confidential data"),
        (RiskFacts(data=(fact(DataClassification.RESTRICTED),)), RiskTier.MEDIUM, "uses restricted data"),
        (
            RiskFacts(data=(fact(DataClassification.RESTRICTED, writes=True),)),
            RiskTier.HIGH,
            "writes to a restricted data source (CRM)",
        ),
        (RiskFacts(handles_personal_data=True), RiskTier.MEDIUM, "uses personally identifiable information"),
        (RiskFacts(is_high_impact=True), RiskTier.MEDIUM, "designated high-impact AI"),
        (RiskFacts(exposure=Exposure.PUBLIC), RiskTier.MEDIUM, "reaches customers or the public"),
        (RiskFacts(autonomy=Autonomy.AUTONOMOUS), RiskTier.MEDIUM, "acts on its own"),
        (
            RiskFacts(unsafe_credentials=(("HubSpot key", "Environment file on a laptop"),)),
            RiskTier.MEDIUM,
            "uses a credential stored unsafely: HubSpot key (environment file on a laptop)",
        ),
        (
            RiskFacts(is_high_impact=True, handles_personal_data=True, exposure=Exposure.PUBLIC),
            RiskTier.CRITICAL,
            "designated high-impact AI",
        ),
        (
            RiskFacts(data=(fact(DataClassification.CONFIDENTIAL, personal=True, writes=True),)),
            RiskTier.HIGH,
            "touches personal or customer data (CRM)",
        ),
    ],
)
def test_each_factor_sets_tier_and_says_why(settings, facts, tier, reason):
    settings.RISK_TIER_THRESHOLDS = {"critical": 8, "high": 5, "medium": 2}
    assessment = risk_assess(facts)
    assert assessment.tier == tier
    if reason is None:
        assert assessment.reasons == [] or all("data" in r for r in assessment.reasons)
    else:
        assert any(reason in r for r in assessment.reasons), assessment.reasons


def test_reasons_are_ordered_by_weight_and_thresholds_come_from_settings(settings):
    facts = RiskFacts(
        is_high_impact=True, autonomy=Autonomy.AUTONOMOUS, data=(fact(DataClassification.INTERNAL),)
    )
    settings.RISK_TIER_THRESHOLDS = {"critical": 8, "high": 5, "medium": 2}
    assessment = risk_assess(facts)
    assert assessment.score == 4 + 2 + 1
    assert assessment.tier == RiskTier.HIGH
    assert assessment.reasons[0].startswith("designated high-impact")
    assert assessment.reasons[-1] == "uses internal data (CRM)"
    settings.RISK_TIER_THRESHOLDS = {"critical": 7, "high": 5, "medium": 2}
    assert risk_assess(facts).tier == RiskTier.CRITICAL
