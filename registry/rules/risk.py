"""The risk tier of a use case, computed from what it touches (never typed in by hand).

The factors are those of DESIGN.md ("AI use case"): data classification, personal or
customer data, write access, external exposure, autonomy, unsafe credential storage and the
high-impact flag (OMB M-25-21 "high-impact AI"). Each factor adds points; the total is
compared with ``settings.RISK_TIER_THRESHOLDS`` (critical 8, high 5, medium 2 by default).
"""

from dataclasses import dataclass, field

from django.conf import settings

from ..choices import Autonomy, DataClassification, Exposure, RiskTier

#: The start of the reason given for an unsafely stored credential; what follows names the
#: credential and its storage place, which only some people may read (``redact_reasons``).
UNSAFE_CREDENTIAL_REASON = "uses a credential stored unsafely"

_CLASSIFICATION_POINTS = {
    DataClassification.PUBLIC: 0,
    DataClassification.INTERNAL: 1,
    DataClassification.CONFIDENTIAL: 2,
    DataClassification.RESTRICTED: 4,
}


@dataclass(frozen=True)
class DataFact:
    """One data access as the rule sees it."""

    source_name: str
    classification: str
    personal: bool
    customer: bool
    writes: bool


@dataclass(frozen=True)
class RiskFacts:
    """What a use case touches. Build it with ``registry.services.risk.risk_facts_for``."""

    is_high_impact: bool = False
    handles_personal_data: bool = False
    exposure: str = Exposure.INTERNAL
    autonomy: str = Autonomy.ASSISTIVE
    data: tuple[DataFact, ...] = ()
    unsafe_credentials: tuple[tuple[str, str], ...] = field(default=())  # (name, storage label)


@dataclass(frozen=True)
class RiskAssessment:
    """The computed tier, the score behind it and the reasons, in plain words."""

    tier: str
    score: int
    reasons: list[str]


def risk_assess(facts: RiskFacts) -> RiskAssessment:
    """Compute the risk tier of a use case.

    Args:
        facts: what the use case touches.

    Returns:
        ``RiskAssessment`` with ``tier`` one of ``RiskTier`` values, the integer score and
        one sentence per factor that added points, highest first.
    """
    scored: list[tuple[int, str]] = []
    if facts.is_high_impact:
        scored.append((4, "designated high-impact AI (rights- or safety-impacting)"))

    worst = max(facts.data, key=lambda d: _CLASSIFICATION_POINTS.get(d.classification, 0), default=None)
    if worst is not None and _CLASSIFICATION_POINTS.get(worst.classification, 0):
        label = DataClassification(worst.classification).label.lower()
        scored.append(
            (_CLASSIFICATION_POINTS[worst.classification], f"uses {label} data ({worst.source_name})")
        )
    sensitive_writes = [
        d
        for d in facts.data
        if d.writes and d.classification in (DataClassification.CONFIDENTIAL, DataClassification.RESTRICTED)
    ]
    if sensitive_writes:
        d = sensitive_writes[0]
        label = DataClassification(d.classification).label.lower()
        scored.append((2, f"writes to a {label} data source ({d.source_name})"))
    elif any(d.writes for d in facts.data):
        scored.append((1, "writes to a data source"))

    personal_sources = [d.source_name for d in facts.data if d.personal or d.customer]
    if personal_sources:
        scored.append((2, f"touches personal or customer data ({', '.join(sorted(personal_sources)[:3])})"))
    elif facts.handles_personal_data:
        scored.append((2, "uses personally identifiable information"))

    if facts.exposure == Exposure.PUBLIC:
        scored.append((2, "its output reaches customers or the public"))
    elif facts.exposure == Exposure.PARTNERS:
        scored.append((1, "its output reaches partners or contractors"))

    if facts.autonomy == Autonomy.AUTONOMOUS:
        scored.append((2, "acts on its own, without a person approving"))

    for name, storage in facts.unsafe_credentials[:3]:
        scored.append((2, f"{UNSAFE_CREDENTIAL_REASON}: {name} ({storage.lower()})"))

    score = sum(points for points, _ in scored)
    thresholds = settings.RISK_TIER_THRESHOLDS
    if score >= thresholds["critical"]:
        tier = RiskTier.CRITICAL
    elif score >= thresholds["high"]:
        tier = RiskTier.HIGH
    elif score >= thresholds["medium"]:
        tier = RiskTier.MEDIUM
    else:
        tier = RiskTier.LOW
    reasons = [reason for _, reason in sorted(scored, key=lambda s: -s[0])]
    return RiskAssessment(tier=tier.value, score=score, reasons=reasons)


def redact_reasons(reasons: list[str]) -> list[str]:
    """The reasons without credential names and storage places, for people who may not see
    credential details (the tier itself stays public)."""
    return [
        f"{UNSAFE_CREDENTIAL_REASON} (details are visible to its team and the security team)"
        if reason.startswith(UNSAFE_CREDENTIAL_REASON)
        else reason
        for reason in reasons
    ]
