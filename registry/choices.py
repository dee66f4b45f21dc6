"""Choices of the registry: kinds, stages, classifications, storage places, review states.

The allowed review transitions are listed here too (``REVIEW_TRANSITIONS``), in one table;
only the review services change a review's state.
"""

from django.db import models


class UseCaseKind(models.TextChoices):
    CUSTOM_GPT = "custom_gpt", "Custom GPT / assistant"
    AGENT = "agent", "Agent"
    PROMPT_TEMPLATE = "prompt_template", "Prompt template"
    AUTOMATION = "automation", "Automation workflow"
    SCRIPT_APP = "script_app", "Script or app"
    INTEGRATION = "integration", "Integration / plugin"
    ML_MODEL = "ml_model", "ML model"
    COMMERCIAL_FEATURE = "commercial_feature", "Commercial product feature"


class LifecycleStage(models.TextChoices):
    IDEA = "idea", "Idea"
    BUILDING = "building", "Building"
    PILOT = "pilot", "Pilot"
    PRODUCTION = "production", "Production"
    RETIRED = "retired", "Retired"


class AITechnique(models.TextChoices):
    """OMB 2025 inventory column ``classification``."""

    GENERATIVE = "generative", "Generative AI"
    AGENTIC = "agentic", "Agentic AI"
    CLASSICAL_ML = "classical_ml", "Classical ML"
    NLP = "nlp", "NLP"
    COMPUTER_VISION = "computer_vision", "Computer vision"
    REINFORCEMENT = "reinforcement", "Reinforcement learning"
    OTHER = "other", "Other"


class Sourcing(models.TextChoices):
    """OMB 2025 inventory column ``contracting_usage``: who built it."""

    IN_HOUSE = "in_house", "Built in-house"
    BOUGHT = "bought", "Bought from a vendor"
    BOTH = "both", "Contracted and in-house"


class Autonomy(models.TextChoices):
    ASSISTIVE = "assistive", "Assists a person, who decides"
    HUMAN_APPROVES = "human_approves", "Acts after a person approves"
    AUTONOMOUS = "autonomous", "Acts on its own"


class Exposure(models.TextChoices):
    INTERNAL = "internal", "Internal users only"
    PARTNERS = "partners", "Partners or contractors"
    PUBLIC = "public", "Customers or the public"


class DataClassification(models.TextChoices):
    PUBLIC = "public", "Public"
    INTERNAL = "internal", "Internal"
    CONFIDENTIAL = "confidential", "Confidential"
    RESTRICTED = "restricted", "Restricted"


class AccessMode(models.TextChoices):
    READ = "read", "Reads"
    WRITE = "write", "Writes"
    READ_WRITE = "read_write", "Reads and writes"


class CredentialKind(models.TextChoices):
    API_KEY = "api_key", "API key"
    OAUTH_CLIENT = "oauth_client", "OAuth client"
    SERVICE_ACCOUNT = "service_account", "Service account"
    PERSONAL_ACCESS_TOKEN = "personal_access_token", "Personal access token"
    PASSWORD = "password", "Password"
    OTHER = "other", "Other"


class CredentialStorage(models.TextChoices):
    SECRETS_MANAGER = "secrets_manager", "Secrets manager"
    PASSWORD_MANAGER = "password_manager", "Password manager"
    PLATFORM_CONNECTION = "platform_connection", "Platform-managed connection"
    LAPTOP_ENV_FILE = "laptop_env_file", "Environment file on a laptop"
    WORKFLOW_SETTINGS = "workflow_settings", "Pasted into a workflow's settings"
    HARD_CODED = "hard_coded", "Hard-coded"
    UNKNOWN = "unknown", "Unknown"


#: Storage places that are a finding in themselves (DESIGN.md, "Credential").
UNSAFE_CREDENTIAL_STORAGE = frozenset(
    {
        CredentialStorage.LAPTOP_ENV_FILE,
        CredentialStorage.WORKFLOW_SETTINGS,
        CredentialStorage.HARD_CODED,
        CredentialStorage.UNKNOWN,
    }
)


class FoundationDocumentKind(models.TextChoices):
    PERSONA = "persona", "Buyer personas"
    ICP = "icp", "Ideal customer profile"
    BRAND_VOICE = "brand_voice", "Brand voice"
    VOICE_OF_CUSTOMER = "voice_of_customer", "Voice-of-customer research"
    PROOF_POINTS = "proof_points", "Proof points"
    OTHER = "other", "Other"


class RiskTier(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


#: Sort weight of each tier (higher is riskier), for ordering queues by risk.
RISK_TIER_RANK = {RiskTier.LOW: 1, RiskTier.MEDIUM: 2, RiskTier.HIGH: 3, RiskTier.CRITICAL: 4}


class ReviewState(models.TextChoices):
    REQUESTED = "requested", "Requested"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Expired"


class ReviewStatus(models.TextChoices):
    """A use case's review status, derived from its latest security review."""

    NONE = "none", "Not reviewed"
    REQUESTED = "requested", "Review requested"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Approval expired"


class ReviewSource(models.TextChoices):
    REGISTRY = "registry", "Reviewed in the registry"
    SELF_ATTESTED = "self_attested", "Self-attested"
    IMPORTED_ATO = "imported_ato", "Authority to operate (imported)"


#: The allowed review transitions: action -> (states it may start from, state it leads to).
REVIEW_TRANSITIONS = {
    "claim": ({ReviewState.REQUESTED}, ReviewState.IN_REVIEW),
    "unclaim": ({ReviewState.IN_REVIEW}, ReviewState.REQUESTED),
    "approve": ({ReviewState.REQUESTED, ReviewState.IN_REVIEW}, ReviewState.APPROVED),
    "request_changes": ({ReviewState.REQUESTED, ReviewState.IN_REVIEW}, ReviewState.CHANGES_REQUESTED),
    "reject": ({ReviewState.REQUESTED, ReviewState.IN_REVIEW}, ReviewState.REJECTED),
    "resubmit": ({ReviewState.CHANGES_REQUESTED}, ReviewState.REQUESTED),
    "expire": ({ReviewState.APPROVED}, ReviewState.EXPIRED),
    # Only for a sampled self-attestation that a reviewer's spot check finds wanting.
    "spot_check_fail": ({ReviewState.APPROVED}, ReviewState.CHANGES_REQUESTED),
}

#: Review states in which a review is still open (waiting on a reviewer or a builder).
OPEN_REVIEW_STATES = frozenset({ReviewState.REQUESTED, ReviewState.IN_REVIEW, ReviewState.CHANGES_REQUESTED})
