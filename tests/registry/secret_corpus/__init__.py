"""Test corpora of the secret guard.

``fake_secrets()`` makes realistic FAKE secrets of many providers at run time, with random
characters in each provider's documented format (gitleaks' public rule set, the providers'
docs): nothing that looks like a real secret is committed to the repository (scanners and push
protection would flag one). Fixed parts (prefixes, a PEM header) are assembled from pieces.

``ACCEPTED`` holds ordinary texts a builder writes: prose, URLs, vault references, ids, UUIDs,
e-mail addresses and file paths. None of them may be refused.
"""

import base64
import json
import random
import string
import uuid
from dataclasses import dataclass

ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"
BASE64 = ALNUM + "+/"
HEX = "0123456789abcdef"
UPPER32 = string.ascii_uppercase + "234567"


@dataclass(frozen=True)
class FakeSecret:
    """One fake secret: its provider, the kind the guard must name, and the text to paste."""

    provider: str
    kind: str
    text: str
    #: The random part (what must appear nowhere after a refusal).
    core: str

    @property
    def needle(self) -> str:
        """16 characters from the middle of the random part, to search for everywhere."""
        middle = len(self.core) // 2
        return self.core[max(0, middle - 8) : middle + 8]


def _r(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _mixed(rng: random.Random, alphabet: str, n: int) -> str:
    """Random characters that mix upper case, lower case and digits (as real keys do)."""
    while True:
        value = _r(rng, alphabet, n)
        if (
            any(c.isupper() for c in value)
            and any(c.islower() for c in value)
            and any(c.isdigit() for c in value)
        ):
            return value


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _pem(kind: str, body: str) -> tuple[str, str]:
    """A PEM block (its header assembled from parts) and one line of its body."""
    dashes = "-" * 5
    label = f"{kind} PRIVATE" + " KEY" if kind else "PRIVATE" + " KEY"
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"{dashes}BEGIN {label}{dashes}", *lines, f"{dashes}END {label}{dashes}"]), lines[1]


def fake_secrets(seed: int | None = None) -> list[FakeSecret]:
    """At least 30 fake secrets of different providers, fresh random characters each call."""
    rng = random.Random(seed)
    out: list[FakeSecret] = []

    def add(provider, kind, text, core=None):
        out.append(FakeSecret(provider, kind, text, core or text))

    # OpenAI: legacy, project, service-account and admin keys (the marker sits in the middle).
    marker = "T3Blbk" + "FJ"
    core = _mixed(rng, ALNUM, 20) + marker + _mixed(rng, ALNUM, 20)
    add("OpenAI", "OpenAI API key", "sk-" + core, core)
    for prefix in ("proj", "svcacct", "admin"):
        core = _mixed(rng, URLSAFE, 74) + marker + _mixed(rng, URLSAFE, 74)
        add("OpenAI", "OpenAI API key", f"sk-{prefix}-{core}", core)
    # Anthropic
    for prefix in ("api03", "admin01"):
        core = _mixed(rng, URLSAFE, 93)
        add("Anthropic", "Anthropic API key", f"sk-ant-{prefix}-{core}AA", core)
    # AWS: access key ids (detect-secrets) and a secret access key in its usual assignment.
    for prefix in ("AKIA", "ASIA"):
        core = _r(rng, UPPER32, 16)
        add("AWS", "AWS access key id", prefix + core, core)
    core = _mixed(rng, BASE64, 40)
    add("AWS", "AWS secret access key", f"aws_secret_access_key = {core}", core)
    # GitHub: classic tokens (detect-secrets) and fine-grained ones (ours).
    for prefix in ("ghp", "gho", "ghs", "ghu"):
        core = _mixed(rng, ALNUM, 36)
        add("GitHub", "GitHub token", f"{prefix}_{core}", core)
    core = _mixed(rng, ALNUM, 22) + "_" + _mixed(rng, ALNUM, 59)
    add("GitHub", "GitHub fine-grained token", "github_pat_" + core, core)
    # GitLab
    core = _mixed(rng, ALNUM, 20)
    add("GitLab", "GitLab token", "glpat-" + core, core)
    # Slack: bot and user tokens, an incoming webhook.
    core = f"{_r(rng, string.digits, 12)}-{_r(rng, string.digits, 13)}-{_mixed(rng, ALNUM, 24)}"
    add("Slack", "Slack token", "xoxb-" + core, core)
    digits = [_r(rng, string.digits, n) for n in (12, 13, 13)]
    core = "-".join([*digits, _r(rng, HEX, 32)])
    add("Slack", "Slack token", "xoxp-" + core, core)
    core = f"T{_r(rng, UPPER32, 10)}/B{_r(rng, UPPER32, 10)}/{_mixed(rng, ALNUM, 24)}"
    add("Slack", "Slack webhook URL", "https://hooks.slack.com/services/" + core, core)
    # Stripe
    for prefix in ("sk_live_", "rk_live_"):
        core = _mixed(rng, ALNUM, 99)
        add("Stripe", "Stripe secret key", prefix + core, core)
    # Google: API key, OAuth client secret.
    core = _mixed(rng, URLSAFE, 35)
    add("Google", "Google API key", "AIza" + core, core)
    core = _mixed(rng, URLSAFE, 28)
    add("Google", "Google OAuth client secret", "GOCSPX-" + core, core)
    # HubSpot private app tokens (US and EU data centres).
    for region in ("na1", "eu1"):
        core = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        add("HubSpot", "HubSpot private app token", f"pat-{region}-{core}", core)
    # Salesforce access token: org id, "!", session part.
    core = _mixed(rng, ALNUM, 12) + "!AQ" + _mixed(rng, ALNUM + "._", 94)
    add("Salesforce", "Salesforce access token", "00D" + core, core)
    # Twilio API key (SK + 32 hex; detect-secrets).
    core = _r(rng, HEX, 32)
    add("Twilio", "Twilio API key", "SK" + core, core)
    # SendGrid (detect-secrets)
    core = _mixed(rng, URLSAFE, 22) + "." + _mixed(rng, URLSAFE, 43)
    add("SendGrid", "SendGrid API key", "SG." + core, core)
    # Mailchimp (detect-secrets)
    core = _r(rng, HEX, 32)
    add("Mailchimp", "Mailchimp API key", f"{core}-us{rng.randint(1, 21)}", core)
    # Azure: a storage connection string, a SAS URL, an AD client secret.
    core = _mixed(rng, BASE64, 86)
    add(
        "Azure",
        "Azure storage account key",
        f"DefaultEndpointsProtocol=https;AccountName=mktgassets;AccountKey={core}==;EndpointSuffix=core.windows.net",
        core,
    )
    core = _mixed(rng, ALNUM, 43)
    add(
        "Azure",
        "Azure shared access signature",
        "https://mktgassets.blob.core.windows.net/exports?sv=2022-11-02&ss=b&srt=co&sp=rl"
        f"&se=2026-12-31T00:00:00Z&sig={core}%3D",
        core,
    )
    core = _mixed(rng, ALNUM + "_~.-", 34)
    add("Azure", "Azure AD client secret", f"{_r(rng, ALNUM, 3)}8Q~{core}", core)
    # Private keys (detect-secrets), including an encrypted PKCS#8 one (ours).
    for label in ("RSA", "OPENSSH", "EC", "", "ENCRYPTED"):
        text, line = _pem(label, _mixed(rng, BASE64, 256))
        add("Private key", "private key", text, line)
    # A JWT (header and payload are JSON, detect-secrets checks it).
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64url(
        json.dumps({"sub": _r(rng, HEX, 12), "iat": rng.randint(1_600_000_000, 1_800_000_000)}).encode()
    )
    signature = _b64url(rng.randbytes(32))
    add("JWT", "JSON Web Token", f"{header}.{payload}.{signature}", f"{payload}.{signature}")
    # Passwords in URLs: simple (detect-secrets) and with punctuation (ours).
    core = _mixed(rng, ALNUM, 16)
    add("Password in URL", "password in a URL", f"postgres://crm_sync:{core}@db.internal:5432/crm", core)
    core = _mixed(rng, ALNUM, 12) + "!#" + _r(rng, ALNUM, 4)
    add("Password in URL", "password in a URL", f"https://automation:{core}@n8n.example.com/webhook", core)
    # Generic assignments and a bare random string.
    core = _mixed(rng, ALNUM, 32)
    add("Generic", "API key or token", f"api_key={core}", core)
    core = _mixed(rng, ALNUM, 10) + "!$" + _r(rng, string.digits, 2)
    add("Generic", "password", f"password: {core}", core)
    core = _mixed(rng, BASE64, 48)
    add("Generic", "high-entropy string", core, core)
    core = _r(rng, HEX, 64)
    add("Generic", "high-entropy string", core, core)
    # npm (ours) and Google OAuth access token (ours).
    core = _mixed(rng, ALNUM, 36)
    add("npm", "npm access token", "npm_" + core, core)
    return out


#: Texts that must be accepted: prose, URLs, vault references, ids, UUIDs, e-mails, paths.
ACCEPTED = [
    # prose a builder writes
    "Drafts first replies to inbound leads from the website form; a rep reviews each one before it is sent.",
    "Summarises win/loss interviews into themes for the product marketing team every Friday.",
    "The API key is stored in the team vault and rotated every 90 days by the platform team.",
    "Uses the HubSpot private app token kept in 1Password (Marketing Ops vault); never pasted anywhere.",
    "Password: stored in the secrets manager, ask the platform team for access.",
    "API key: see vault://marketing/openai/campaign-bot",
    "token: OPENAI_API_KEY from the workflow's environment",
    "The secret is managed by AWS Secrets Manager; the Lambda reads it at start-up.",
    "Authentication uses OAuth 2.0 client credentials; the client secret lives in Azure Key Vault.",
    "Risk-based triage of support tickets; task-level routing to the right queue.",
    "Acquisition/Development/Implementation stages follow the agency's SDLC; see section 4.2.",
    "Generative AI (GPT-4o, Claude 3.5 Sonnet, Llama-3.1-70B-Instruct) drafts responses.",
    "Trained on 1.2M labelled examples (2019-2024) with a F1 score of 0.87 on the hold-out set.",
    "Model: gpt-4o-2024-08-06; fallback claude-3-5-sonnet-20241022; embeddings text-embedding-3-large.",
    "MicrosoftCopilotStudio agents built by the SalesEnablement team for the EMEA region.",
    # URLs
    "https://docs.example.com/runbooks/crm-sync?version=3#rollback",
    "https://github.com/acme-marketing/lead-scoring/blob/4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a3f/README.md",
    "https://acme.sharepoint.com/sites/Marketing/Shared%20Documents/Brand%20Voice%20v3.docx",
    "https://www.example.org/path/to/page.html",
    "https://app.hubspot.com/contacts/12345678/objects/0-1/views/all/list",
    # vault references
    "vault://marketing/openai/campaign-bot",
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/crm/hubspot-token-AbCdEf",
    "op://Marketing/HubSpot Private App/credential",
    "azurekv://kv-marketing-prod/hubspot-token",
    "projects/acme-prod/secrets/hubspot-token/versions/3",
    "secret/data/marketing/salesforce (HashiCorp Vault KV v2)",
    # ids, UUIDs, e-mails, paths
    "DOJ-0357",
    "HHS-2024-00123-AI",
    "3f1c2b9e-8d7a-4c3b-9a1e-2f4d5c6b7a8e",
    "USCIS-AI-0042, 70B03C23F00001059, 47QTCA19D00HG",
    "0015g00000ABCDeAAH",
    "ai-governance@usdoj.gov",
    "marketing.ops+registry@example.com",
    "/srv/automation/campaign-bot/.env",
    "C:\\Users\\jdoe\\Documents\\Prompts\\BrandVoice2024\\persona-v3.docx",
    "s3://acme-marketing-exports/2024/10/leads_enriched.csv",
    "/Users/JaneDoe/Projects/AI2024/models/v3/config.yaml",
    "SHA-256 of the model card: see the release notes.",
    "Version 2024.10.3-rc1 (build 20241015.4)",
]
