"""The secret guard: no secret value ever lands in the registry.

Every write path (web forms, the API, the spreadsheet importer, the Django admin) passes its
text through this one module. A value that looks like a secret (a provider's API key or
token, a private key, a JWT, a password in a URL or after ``password:``, a long random
string) is refused with a message that says what it looks like and what to record instead
(where the secret is stored: a vault reference). The refusal is counted in
``SecretRefusal`` (channel, field, kind, who), never with the value.

How a text is scanned (``secret_scan``), first match wins:

1. Our provider rules (``_PROVIDER_RULES``), for what detect-secrets 1.5 misses or cannot
   name: Anthropic, modern OpenAI keys (``sk-proj-``/``sk-svcacct-``: it caught about a
   quarter of random ones), Google API keys and OAuth client secrets, HubSpot private app
   tokens, Salesforce access tokens, fine-grained GitHub tokens, AWS secret access keys,
   Azure connection strings and SAS signatures, Slack webhooks, Stripe test keys and webhook
   secrets, npm tokens. Formats as documented by the providers and gitleaks' public rule
   set (https://github.com/gitleaks/gitleaks, ``cmd/generate/config/rules``).
2. detect-secrets' plugins (AWS access key ids, classic GitHub tokens, GitLab, Slack,
   Stripe live keys, Twilio, SendGrid, Mailchimp, private keys, JWTs, basic-auth URLs,
   keyword assignments, ...), configured once per process (``detect_secrets_configure``).
   Its two entropy plugins are left out (in ad-hoc scans they report every word, whatever
   its entropy) and so is ``IPPublicDetector`` (an IP address is not a secret).
3. Our generic rules: private key blocks, passwords in URLs, ``api_key = ...`` /
   ``password: ...`` assignments, and long high-entropy strings (tuned on the real
   inventories so that ids, UUIDs, URLs, vault references, paths and prose pass).

Cheap pre-filters keep this fast on prose (most cells of a spreadsheet): a rule runs only
when its literal hint is in the text, detect-secrets only on lines holding a long token or a
keyword.

Where the refusal is recorded: ``secret_guard`` writes ``SecretRefusal`` rows on the current
database connection. Callers refuse *before* opening their write transaction (validate, then
write), so nothing they roll back afterwards can take the count with it: forms and
serializers validate before any service runs, the importer screens the sheet before its
transaction, and the admin's change-form transaction commits when a form is invalid (a
refusal is a validation error, not an exception).

Nothing here ever logs a value: log lines name the channel, the field and the kind only.
Django's request logging writes method, path and status, never bodies; error reports of
requests that fail later are filtered by ``SecretSafeExceptionReporterFilter``.
"""

import logging
import math
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django import forms
from django.utils.datastructures import MultiValueDict
from django.views.debug import SafeExceptionReporterFilter

from .exceptions import SecretValueError

logger = logging.getLogger(__name__)

# --- findings and messages -------------------------------------------------------------------


@dataclass(frozen=True)
class SecretFinding:
    """What a value looked like. Never holds the value or any part of it.

    Attributes:
        kind: human words, e.g. ``"OpenAI API key"``, ``"private key"``, ``"password in a URL"``.
        rule: the rule that matched (``"openai"``, ``"detect-secrets:Slack Token"``,
            ``"high-entropy"``, ...), for counting and tests.
        reference_example: a vault reference to suggest instead, e.g. ``"vault://team/openai"``.
    """

    kind: str
    rule: str
    reference_example: str = "vault://team/api-key"

    @property
    def kind_with_article(self) -> str:
        """``"an OpenAI API key"``, ``"a private key"``."""
        return f"{_article(self.kind)} {self.kind}"

    @property
    def source(self) -> str:
        """``"detect-secrets"`` or ``"registry"`` (our own rules)."""
        return "detect-secrets" if self.rule.startswith("detect-secrets:") else "registry"


def _article(kind: str) -> str:
    """ "an" before a vowel sound: "an AWS ...", "an npm ...", "a password ..."."""
    return "an" if kind[:1].lower() in "aeio" or kind.startswith("npm") else "a"


def secret_message(finding: SecretFinding) -> str:
    """The message shown beside a refused field.

    It says what the value looks like and what to record instead; it never contains the value
    or any part of it (only the finding's fixed wording).
    """
    return (
        f"This looks like {finding.kind_with_article}. Never paste a secret's value: record where it "
        f"is stored (a secrets-manager reference such as {finding.reference_example}) instead."
    )


def secret_redaction(finding: SecretFinding) -> str:
    """What replaces a refused value where the row must still be shown (a rejected-rows CSV)."""
    return f"[redacted: looks like {finding.kind_with_article}]"


# --- our rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    name: str
    kind: str
    pattern: re.Pattern
    #: Literal substrings one of which must be in the text (``lowered``: in its lower-case
    #: form) for the pattern to be tried at all: the cheap pre-filter.
    hints: tuple[str, ...]
    reference: str
    lowered: bool = False
    #: An extra test of each match (e.g. "mixes letter cases and digits"), when the pattern
    #: alone would catch words.
    check: object = None

    def search(self, text: str, lower: str) -> bool:
        haystack = lower if self.lowered else text
        if not any(h in haystack for h in self.hints):
            return False
        if self.check is None:
            return self.pattern.search(text) is not None
        return any(self.check(m.group("value")) for m in self.pattern.finditer(text))


_B = r"(?<![A-Za-z0-9_\-])"  # no token character just before
_E = r"(?![A-Za-z0-9_\-])"  # ... nor just after
_UUID_HEX = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

_PROVIDER_RULES: tuple[_Rule, ...] = (
    _Rule(
        "anthropic",
        "Anthropic API key",
        re.compile(_B + r"sk-ant-(?:api|admin|oat|ort)\d\d-[A-Za-z0-9_\-]{32,}"),
        ("sk-ant-",),
        "vault://team/anthropic",
    ),
    _Rule(
        # Project, service-account and admin keys (sk-proj-..., 150+ characters with - and _),
        # and the legacy sk-<48 letters and digits>.
        "openai",
        "OpenAI API key",
        re.compile(_B + r"sk-(?:(?:proj|svcacct|admin|None)-[A-Za-z0-9_\-]{20,}|[A-Za-z0-9]{32,}" + _E + ")"),
        ("sk-",),
        "vault://team/openai",
    ),
    _Rule(
        "github-fine-grained",
        "GitHub fine-grained token",
        re.compile(_B + r"github_pat_[A-Za-z0-9_]{40,}"),
        ("github_pat_",),
        "vault://team/github",
    ),
    _Rule(
        "google-api-key",
        "Google API key",
        re.compile(_B + r"AIza[0-9A-Za-z_\-]{35}"),
        ("AIza",),
        "vault://team/google",
    ),
    _Rule(
        "google-oauth-secret",
        "Google OAuth client secret",
        re.compile(_B + r"GOCSPX-[A-Za-z0-9_\-]{20,}"),
        ("GOCSPX-",),
        "vault://team/google-oauth",
    ),
    _Rule(
        "google-oauth-token",
        "Google OAuth access token",
        re.compile(_B + r"ya29\.[0-9A-Za-z_\-]{20,}"),
        ("ya29.",),
        "vault://team/google-oauth",
    ),
    _Rule(
        "hubspot",
        "HubSpot private app token",
        re.compile(_B + r"pat-(?:na|eu|ap)\d-" + _UUID_HEX),
        ("pat-",),
        "vault://team/hubspot",
    ),
    _Rule(
        # The org id (00D + 12 or 15 characters), "!", then the session part.
        "salesforce-access-token",
        "Salesforce access token",
        re.compile(r"\b00D[A-Za-z0-9]{12,15}![A-Za-z0-9._]{30,}"),
        ("!",),
        "vault://team/salesforce",
    ),
    _Rule(
        "salesforce-refresh-token",
        "Salesforce refresh token",
        re.compile(_B + r"5Aep861[A-Za-z0-9._]{40,}"),
        ("5Aep861",),
        "vault://team/salesforce",
    ),
    _Rule(
        "slack-webhook",
        "Slack webhook URL",
        re.compile(r"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_\-]{20,}", re.I),
        ("hooks.slack.com",),
        "vault://team/slack-webhook",
        lowered=True,
    ),
    _Rule(
        # detect-secrets names these "AWS Access Key" like the key id; ours says which.
        "aws-secret-access-key",
        "AWS secret access key",
        re.compile(
            r"(?i)aws.{0,24}?(?:secret|private).{0,24}?[=:\"'\s>]\s*[\"']?"
            r"(?P<value>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"
        ),
        ("aws",),
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:team/aws",
        lowered=True,
        check=lambda value: _char_classes(value) >= 3,
    ),
    _Rule(
        "azure-storage-key",
        "Azure storage account key",
        re.compile(r"(?i)AccountKey\s*=\s*[A-Za-z0-9+/]{40,}={0,2}"),
        ("accountkey",),
        "azurekv://team-vault/azure-key",
        lowered=True,
    ),
    _Rule(
        "azure-shared-access-key",
        "Azure shared access key",
        re.compile(r"(?i)SharedAccessKey\s*=\s*[A-Za-z0-9+/]{20,}={0,2}"),
        ("sharedaccesskey",),
        "azurekv://team-vault/azure-key",
        lowered=True,
    ),
    _Rule(
        "azure-sas",
        "Azure shared access signature",
        re.compile(r"(?i)[?&;]sig=[A-Za-z0-9%+/]{20,}"),
        ("sig=",),
        "azurekv://team-vault/azure-key",
        lowered=True,
    ),
    _Rule(
        "presigned-url",
        "pre-signed URL",
        re.compile(r"(?i)[?&](?:X-Amz-Signature|X-Goog-Signature|Signature)=[A-Za-z0-9%+/]{20,}"),
        ("signature=",),
        "vault://team/storage",
        lowered=True,
    ),
    _Rule(
        "azure-ad-client-secret",
        "Azure AD client secret",
        re.compile(r"(?<![A-Za-z0-9_~.])[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.\-]{31,34}(?![A-Za-z0-9_~.\-])"),
        ("Q~",),
        "azurekv://team-vault/azure-key",
    ),
    _Rule(
        # Live keys are detect-secrets'; test keys still open the account's test data.
        "stripe-test",
        "Stripe secret key",
        re.compile(_B + r"(?:sk|rk)_test_[0-9a-zA-Z]{16,}"),
        ("k_test_",),
        "vault://team/stripe",
    ),
    _Rule(
        "stripe-webhook",
        "Stripe webhook signing secret",
        re.compile(_B + r"whsec_[0-9a-zA-Z]{24,}"),
        ("whsec_",),
        "vault://team/stripe",
    ),
    _Rule(
        "npm",
        "npm access token",
        re.compile(_B + r"npm_[A-Za-z0-9]{36}" + _E),
        ("npm_",),
        "vault://team/npm",
    ),
)

#: Every provider rule's hints in one pattern each (case-sensitive, lower case): one C-speed
#: search tells whether any provider rule needs a closer look (most texts: none).
_PROVIDER_HINTS = re.compile(
    "|".join(re.escape(h) for r in _PROVIDER_RULES if not r.lowered for h in r.hints)
)
_PROVIDER_HINTS_LOWER = re.compile(
    "|".join(re.escape(h) for r in _PROVIDER_RULES if r.lowered for h in r.hints)
)

# --- detect-secrets: configured once per process ---------------------------------------------

#: detect-secrets plugins left out: in ad-hoc scans its entropy plugins report every word
#: (the limit is not applied), and a public IP address is not a secret.
_DETECT_SECRETS_EXCLUDED = {"Base64HighEntropyString", "HexHighEntropyString", "IPPublicDetector"}

#: detect-secrets' secret types -> (our kind, a reference example). Types not listed here
#: become "<type> (detect-secrets)" in lower case.
_DETECT_SECRETS_KINDS = {
    "AWS Access Key": ("AWS access key id", "arn:aws:secretsmanager:us-east-1:123456789012:secret:team/aws"),
    "Azure Storage Account access key": ("Azure storage account key", "azurekv://team-vault/azure-key"),
    "Basic Auth Credentials": ("password in a URL", "vault://team/database"),
    "Artifactory Credentials": ("Artifactory token", "vault://team/artifactory"),
    "Cloudant Credentials": ("IBM Cloudant credential", "vault://team/cloudant"),
    "Discord Bot Token": ("Discord bot token", "vault://team/discord"),
    "GitHub Token": ("GitHub token", "vault://team/github"),
    "GitLab Token": ("GitLab token", "vault://team/gitlab"),
    "IBM Cloud IAM Key": ("IBM Cloud API key", "vault://team/ibm-cloud"),
    "IBM COS HMAC Credentials": ("IBM Cloud Object Storage key", "vault://team/ibm-cos"),
    "JSON Web Token": ("JSON Web Token", "vault://team/jwt-signing"),
    "Secret Keyword": ("password or API key", "vault://team/api-key"),
    "Mailchimp Access Key": ("Mailchimp API key", "vault://team/mailchimp"),
    "NPM tokens": ("npm access token", "vault://team/npm"),
    "OpenAI Token": ("OpenAI API key", "vault://team/openai"),
    "Private Key": ("private key", "vault://team/tls"),
    "PyPI Token": ("PyPI upload token", "vault://team/pypi"),
    "SendGrid API Key": ("SendGrid API key", "vault://team/sendgrid"),
    "Slack Token": ("Slack token", "vault://team/slack"),
    "SoftLayer Credentials": ("SoftLayer API key", "vault://team/softlayer"),
    "Square OAuth Secret": ("Square OAuth secret", "vault://team/square"),
    "Stripe Access Key": ("Stripe secret key", "vault://team/stripe"),
    "Telegram Bot Token": ("Telegram bot token", "vault://team/telegram"),
    "Twilio API Key": ("Twilio API key", "vault://team/twilio"),
}
#: Reported only when nothing more specific matched (our assignment rule names it better).
_DS_KEYWORD = "Secret Keyword"

_configure_lock = threading.Lock()


def detect_secrets_plugin_names() -> list[str]:
    """The detect-secrets plugins the guard runs (every plugin of 1.5 but the excluded ones)."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    return sorted(
        cls.__name__
        for cls in get_mapping_from_secret_type_to_class().values()
        if cls.__name__ not in _DETECT_SECRETS_EXCLUDED
    )


def detect_secrets_configure() -> None:
    """Configure detect-secrets' global settings with our plugins, once per process.

    detect-secrets keeps its configuration in a process-wide ``Settings`` object that starts
    with no plugin at all: ``scan_line`` then silently finds nothing. Its
    ``default_settings()``/``transient_settings()`` context managers fill it only for the
    duration of a ``with`` block; this does what they do inside
    (``configure_settings_from_baseline``) for good. It is called lazily by the first scan and
    again whenever the settings were reset (a ``transient_settings`` block elsewhere restores
    the previous configuration on exit; ``cache_bust()`` empties it). Its default filters
    (UUIDs, templated values, sequential strings, ...) stay on.
    """
    from detect_secrets.settings import configure_settings_from_baseline, get_settings

    with _configure_lock:
        wanted = detect_secrets_plugin_names()
        if set(wanted) <= set(get_settings().plugins):
            return
        configure_settings_from_baseline({"plugins_used": [{"name": name} for name in wanted]})


def _detect_secrets_types(text: str) -> list[str]:
    """detect-secrets' secret types found in ``text``, line by line (hinted lines only)."""
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import get_settings

    found = []
    for line in text.splitlines():
        if not _detect_secrets_may_match(line):
            continue
        if not get_settings().plugins:
            detect_secrets_configure()
        for secret in scan_line(line):
            if secret.type in _DS_PLACEHOLDER_CHECKED and _is_placeholder(secret.secret_value or ""):
                continue  # postgres://user:password@host, password: <password>
            if secret.type not in found:
                found.append(secret.type)
    return found


#: detect-secrets types whose value may be a placeholder rather than a secret.
_DS_PLACEHOLDER_CHECKED = {"Basic Auth Credentials", "Secret Keyword"}


#: Keywords of detect-secrets' KeywordDetector (``api_?key``, ``password``, ...) and of its
#: IBM, Cloudant, SoftLayer, npm and private-key plugins, in lower case.
_DS_KEYWORDS = (
    *(
        f"{p}{s}key"
        for p in ("api", "auth", "service", "account", "db", "database", "priv", "private", "client")
        for s in ("", "_")
    ),
    "pass",
    "pwd",
    "secret",
    "contrase",
    "cloudant",
    "softlayer",
    "authtoken",
    "private key",
    "putty",
)


_LONG_WORD = re.compile(r"\S{16,}")
_DS_KEYWORD_RE = re.compile("|".join(re.escape(k) for k in _DS_KEYWORDS))


def _token_like(word: str) -> bool:
    return any(c.isdigit() for c in word) or sum(c.isupper() for c in word) >= 2


def _detect_secrets_may_match(line: str) -> bool:
    """The pre-filter: could one of detect-secrets' plugins match this line at all?

    Every token plugin needs 16+ characters without a space that mix in digits or capitals
    (random tokens do; "interoperability." does not); the others need a keyword or a URL with
    credentials. Prose lines (most of a spreadsheet) have neither.
    """
    if any(_token_like(word) for word in _LONG_WORD.findall(line)):
        return True
    return _DS_KEYWORD_RE.search(line.lower()) is not None or ("://" in line and "@" in line)


# --- our generic rules -----------------------------------------------------------------------

_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")

#: scheme://user:password@host (detect-secrets' basic-auth rule stops at many punctuation
#: characters that passwords contain).
_URL_PASSWORD = re.compile(r"(?i)\b[a-z][a-z0-9+.\-]{1,20}://[^\s:/@]+:(?P<value>[^\s/@]+)@[^\s/@]+")

_SECRET_NAME = (
    r"(?:api[_\-. ]?key|apikey|access[_\-. ]?key|secret[_\-. ]?key|private[_\-. ]?key"
    r"|access[_\-. ]?token|auth[_\-. ]?token|refresh[_\-. ]?token|bearer[_\-. ]?token|api[_\-. ]?token"
    r"|client[_\-. ]?secret|app[_\-. ]?secret|signing[_\-. ]?secret|webhook[_\-. ]?secret"
    r"|password|passwd|passphrase|pwd|secret|token)"
)
#: ``api_key = value``, ``"password": "value"``, ``PASSWORD=value``, ``password is value``.
_ASSIGNMENT = re.compile(
    r"(?i)(?<![A-Za-z0-9])(?P<name>(?:[A-Za-z0-9]+[_\-.]){0,4}" + _SECRET_NAME + r")(?![A-Za-z0-9])"
    r"[\"'\]]{0,2}\s*(?P<op>:=|=>|=|:|\bis\b)\s*[\"']?(?P<value>[^\s\"'`,;<>(){}\[\]]{6,})"
)
_BEARER = re.compile(r"(?i)\bbearer\s+(?P<value>[A-Za-z0-9\-._~+/]{16,}=*)")
_ASSIGNMENT_HINTS = ("key", "token", "secret", "pass", "pwd", "bearer")

#: Values after a secret's name that are not secrets: placeholders, references, names of
#: environment variables.
_PLACEHOLDER_WORDS = {
    "none",
    "null",
    "n/a",
    "redacted",
    "hidden",
    "masked",
    "required",
    "optional",
    "unknown",
    "changeme",
    "password",
    "secret",
    "token",
    "example",
    "placeholder",
    "tbd",
    "empty",
}
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
_REFERENCE = re.compile(r"(?i)^(?:[a-z][a-z0-9+.\-]*://|arn:|projects/|op://|vault:|env:|secrets?/|kv/)")


def _char_classes(value: str) -> int:
    return (
        any(c.islower() for c in value)
        + any(c.isupper() for c in value)
        + any(c.isdigit() for c in value)
        + any(not c.isalnum() for c in value)
    )


def _is_placeholder(value: str) -> bool:
    v = value.strip(".,;:!?)]}").strip()
    lower = v.lower()
    if not v or v[0] in "$<{%#*" or "{{" in v or "${" in v:
        return True
    if lower in _PLACEHOLDER_WORDS or lower.startswith(("your", "my_", "my-", "<", "xxx", "***", "example")):
        return True
    if len(set(lower)) <= 2:  # xxxxxxxx, ********, 00000000
        return True
    if _ENV_NAME.fullmatch(v) and "_" in v:  # OPENAI_API_KEY: the variable's name, not its value
        return True
    return bool(_REFERENCE.match(v))


#: Vault references, masked before looking for assignments (``arn:...:secret:prod/crm``).
_REFERENCES = re.compile(
    r"(?i)\barn:aws[a-z\-]*:\S+|\b(?:vault|op|azurekv|gcpsm|secretsmanager)://\S+|\bprojects/\S+/secrets/\S+"
)


def _assignment_kind(text: str, lower: str) -> SecretFinding | None:
    if not any(h in lower for h in _ASSIGNMENT_HINTS):
        return None
    text = _REFERENCES.sub(" ", text)
    for match in _ASSIGNMENT.finditer(text):
        value = match.group("value").rstrip(".,;:!?")
        if len(value) < 6 or _is_placeholder(value) or _is_code(text, match, value):
            continue
        classes = _char_classes(value)
        if match.group("op").lower() == "is":
            # Prose ("the token is rotated every 90 days"): only an unmistakable value.
            secret = len(value) >= 8 and classes >= 3 and not _wordy(value)
        else:
            secret = not _wordy(value) and ((len(value) >= 8 and classes >= 2) or len(value) >= 24)
        if secret:
            name = match.group("name").lower()
            if "pass" in name or "pwd" in name:
                return SecretFinding("password", "assignment", "vault://team/service-account")
            return SecretFinding("API key or token", "assignment", "vault://team/api-key")
    for match in _BEARER.finditer(text):
        value = match.group("value")
        if not _is_placeholder(value) and _char_classes(value) >= 2 and not _wordy(value):
            return SecretFinding("bearer token", "bearer", "vault://team/api-key")
    return None


_CODE_PREFIXES = ("os.", "process.env", "env.", "settings.", "config.", "secrets.", "self.", "request.")


def _is_code(text: str, match: re.Match, value: str) -> bool:
    """``API_KEY = os.environ["OPENAI"]``: the value is read from somewhere, not written here."""
    after = text[match.end("value") : match.end("value") + 1]
    return after in ("(", "[") or value.startswith(_CODE_PREFIXES)


def _wordy(value: str) -> bool:
    """Words joined by hyphens or underscores (``self-service-reset``), not a secret's value."""
    return bool(re.fullmatch(r"[A-Za-z]{2,}(?:[-_'][A-Za-z]{2,})*\.?", value))


# High-entropy strings. Candidates are runs of base64/URL-safe characters of 20 or more in
# words that are not URLs, e-mail addresses or vault references; a candidate is a secret when it is
# random-looking: a long hex string, or mixed case with digits, high Shannon entropy, frequent
# switches between lower case, upper case and digits, and few word-like runs (ids, CamelCase
# names, model names and paths are made of words and short dashed parts).
#: Words that are URLs, e-mail addresses or vault references (literal tests: no backtracking
#: on long words).
_NOT_A_CANDIDATE = re.compile(r"://|@|^www\.|^arn:|/secrets/", re.I)
_CANDIDATE = re.compile(r"[A-Za-z0-9+/=_\-.~]{20,}")
_SEPARATORS = re.compile(r"[\-_./+=~]+")
_UUID = re.compile(_UUID_HEX)
_HEX = re.compile(r"[0-9a-f]+|[0-9A-F]+")
_WORD_RUN = re.compile(r"[A-Z]?[a-z]{4,}|[A-Z]{4,}(?![a-z])")
#: Tuned on random keys of 20-64 characters (about 95% of random 24+ character keys are
#: caught; the provider rules catch the rest of the known formats) and on every cell of the
#: real inventories and the accepted corpus of the tests (none is caught).
ENTROPY_MIN_LENGTH = 20
HEX_MIN_LENGTH = 32
SWITCH_RATE_MIN = 0.36
WORDINESS_MAX = 0.5


def _shannon(value: str) -> float:
    counts: dict[str, int] = {}
    for c in value:
        counts[c] = counts.get(c, 0) + 1
    n = len(value)
    return -sum(k / n * math.log2(k / n) for k in counts.values())


def _class_of(c: str) -> int:
    return 0 if c.islower() else 1 if c.isupper() else 2


def high_entropy_token(token: str) -> bool:
    """Whether one token (no spaces) looks like a random secret rather than an id or a word.

    Rules: 20+ characters; not a UUID; not an identifier of 4+ short parts joined by
    ``-_./`` (``eastus2-openai-prod-01``, ``Llama-3.1-70B-Instruct``); a hex string needs 32+
    digits mixing letters and digits; any other token needs lower case, upper case and
    digits, a Shannon entropy near that of random text, a switch of character class (a|B|3)
    at 36%+ of its positions and at most half of it in word-like runs (``Tool``, ``GPT4``).
    """
    token = token.strip("._-/=~+")
    if len(token) < ENTROPY_MIN_LENGTH or _UUID.fullmatch(token):
        return False
    parts = [p for p in _SEPARATORS.split(token) if p]
    if len(parts) >= 4 and len(token) <= 8 * len(parts):
        return False
    core = "".join(parts)
    n = len(core)
    if n < 16:
        return False
    has_digit = any(c.isdigit() for c in core)
    if _HEX.fullmatch(core):
        return n >= HEX_MIN_LENGTH and has_digit and not core.isdigit() and _shannon(core) >= 3.0
    if not (has_digit and any(c.islower() for c in core) and any(c.isupper() for c in core)):
        return False
    if _shannon(core) < min(4.0, math.log2(n) - 0.7):
        return False
    switches = sum(1 for a, b in zip(core, core[1:], strict=False) if _class_of(a) != _class_of(b))
    if switches < SWITCH_RATE_MIN * (n - 1):
        return False
    wordy = sum(len(m) for m in _WORD_RUN.findall(core))
    return wordy <= WORDINESS_MAX * n


def _high_entropy(text: str) -> bool:
    # Only words of 20+ characters can hold a candidate (most prose has none). URLs, e-mail
    # addresses and vault references are not candidates (a key inside a URL is found by the
    # provider and assignment rules).
    for word in text.split():
        if len(word) < ENTROPY_MIN_LENGTH or _NOT_A_CANDIDATE.search(word):
            continue
        if any(high_entropy_token(m.group()) for m in _CANDIDATE.finditer(word)):
            return True
    return False


# --- the scan ----------------------------------------------------------------------------------


def secret_scan(text: str) -> SecretFinding | None:
    """What secret ``text`` looks like, or ``None`` if it looks like ordinary text.

    Args:
        text: any text (a form field, an API value, a spreadsheet cell). Several lines are fine.

    Returns:
        The first ``SecretFinding`` of: our provider rules, detect-secrets' plugins, our
        generic rules (private key block, password in a URL, ``password: ...``-style
        assignment, high-entropy string). ``None`` for prose, URLs without credentials,
        vault references (``vault://...``, ``arn:aws:secretsmanager:...``, ``op://...``,
        ``azurekv://...``, ``projects/<p>/secrets/<s>``), UUIDs, ids, e-mail addresses and
        file paths. The finding never contains the text.
    """
    if not text or len(text) < 6:
        return None
    lower = text.lower()
    if _PROVIDER_HINTS.search(text) or _PROVIDER_HINTS_LOWER.search(lower):
        for rule in _PROVIDER_RULES:
            if rule.search(text, lower):
                return SecretFinding(rule.kind, rule.name, rule.reference)

    types = _detect_secrets_types(text)
    specific = [t for t in types if t != _DS_KEYWORD]
    if specific:
        kind, reference = _DETECT_SECRETS_KINDS.get(
            specific[0], (f"{specific[0].lower()}", "vault://team/api-key")
        )
        return SecretFinding(kind, f"detect-secrets:{specific[0]}", reference)

    if "PRIVATE KEY" in text and _PRIVATE_KEY.search(text):
        return SecretFinding("private key", "private-key", "vault://team/tls")
    if "://" in text and "@" in text:
        for match in _URL_PASSWORD.finditer(text):
            if not _is_placeholder(match.group("value")):
                return SecretFinding("password in a URL", "url-password", "vault://team/database")
    assignment = _assignment_kind(text, lower)
    if assignment is not None:
        return assignment
    if types:  # only detect-secrets' keyword rule matched
        kind, reference = _DETECT_SECRETS_KINDS[_DS_KEYWORD]
        return SecretFinding(kind, f"detect-secrets:{_DS_KEYWORD}", reference)
    if _high_entropy(text):
        return SecretFinding("high-entropy string", "high-entropy", "vault://team/api-key")
    return None


def _scan_value(value, depth: int = 0) -> SecretFinding | None:
    """Scan a value and, recursively, the strings inside lists, tuples, sets and mappings."""
    if isinstance(value, str):
        return secret_scan(value)
    if depth > 20:
        return None
    if isinstance(value, Mapping):
        for key, item in value.items():
            found = _scan_value(key, depth + 1) or _scan_value(item, depth + 1)
            if found:
                return found
        return None
    if isinstance(value, list | tuple | set | frozenset):
        for item in value:
            found = _scan_value(item, depth + 1)
            if found:
                return found
    return None


def secret_findings(values: Mapping[str, object]) -> dict[str, SecretFinding]:
    """Scan every string in ``values`` (recursively into lists and dicts).

    Returns:
        field name -> the first ``SecretFinding`` in that field's value; fields that look
        clean are absent. Nothing is recorded (``secret_guard`` records).
    """
    found = {}
    for field, value in values.items():
        finding = _scan_value(value)
        if finding is not None:
            found[str(field)] = finding
    return found


# --- refusing and counting ---------------------------------------------------------------------


def secret_refusals_record(
    findings: Mapping[str, SecretFinding] | Iterable[tuple[str, SecretFinding]], *, channel: str, actor=None
) -> None:
    """Count refusals: one ``SecretRefusal`` row per refused field (channel, field, kind, actor).

    The values are not passed here and never written. Call it before opening the write
    transaction that the refusal aborts (see the module docstring).

    Args:
        findings: field name -> finding, as ``secret_findings`` returns, or ``(field,
            finding)`` pairs (an import refuses the same column in several rows).
        channel: a ``SecretRefusal.Channel`` value (``"form"``, ``"api"``, ``"import"``,
            ``"admin"``).
        actor: the user who sent the values; anonymous or ``None`` records no actor.
    """
    from .models import SecretRefusal

    pairs = list(findings.items() if isinstance(findings, Mapping) else findings)
    if not pairs:
        return
    actor_id = getattr(actor, "pk", None) if getattr(actor, "is_authenticated", False) else None
    SecretRefusal.objects.bulk_create(
        [
            SecretRefusal(
                actor_id=actor_id, channel=channel, field=field[:200], secret_kind=finding.kind[:100]
            )
            for field, finding in pairs
        ]
    )
    for field, finding in pairs:
        # Never the value: the channel, the field and what it looked like.
        logger.info("secret refused: channel=%s field=%s kind=%s", channel, field, finding.kind)


def secret_guard(values: Mapping[str, object], *, channel: str, actor=None) -> None:
    """Refuse any value that looks like a secret; count each refusal.

    Args:
        values: field name -> value. Strings are scanned, and the strings inside lists,
            tuples, sets and dicts (keys too); other values are ignored.
        channel: where the values came from, a ``SecretRefusal.Channel`` value.
        actor: the user who sent them (``None`` or anonymous: no actor recorded).

    Returns:
        ``None`` when no value looks like a secret.

    Raises:
        SecretValueError: ``errors`` maps every refused field to its message ("This looks
            like an OpenAI API key. Never paste a secret's value: ..."), ``kinds`` to what it
            looked like. One ``SecretRefusal`` per refused field has been written (on the
            current connection: call this before opening your write transaction).
    """
    findings = secret_findings(values)
    if not findings:
        return
    secret_refusals_record(findings, channel=channel, actor=actor)
    raise SecretValueError(
        {field: secret_message(finding) for field, finding in findings.items()},
        kinds={field: finding.kind for field, finding in findings.items()},
    )


# --- forms and serializers -----------------------------------------------------------------


def _is_text_value(value) -> bool:
    return isinstance(value, str | list | tuple | dict) and bool(value)


class SecretGuardFormMixin:
    """A Django form that refuses secret-looking values (mix in before ``forms.Form``/``ModelForm``).

    ``clean()`` scans every field's cleaned text (and, for a field that failed its own
    validation, the text that was sent: its error message must not be the only thing shown
    while the value is echoed back). Each refused field gets the guard's message as an error
    and its value is removed from the bound data, so the re-rendered form shows it empty.
    Each refusal is counted with ``guard_channel`` and ``guard_actor``.

    Attributes:
        guard_channel: ``"form"`` (``"admin"`` for the admin's forms).
        guard_actor: the user filling the form, when the view sets it; ``None`` otherwise.
    """

    guard_channel = "form"
    guard_actor = None

    def clean(self):
        cleaned_data = super().clean()
        values = {}
        for name, field in self.fields.items():
            if name in self.cleaned_data:
                value = self.cleaned_data[name]
            elif name in self._errors and not field.disabled:
                # Failed its own validation (too long, not a URL, not a choice): the sent text
                # would be echoed back beside that error.
                value = self._raw_value(name)
            else:
                continue
            if _is_text_value(value):
                values[name] = value
        findings = secret_findings(values)
        if findings:
            secret_refusals_record(findings, channel=self.guard_channel, actor=self.guard_actor)
            self._secret_values_forget(findings)
            for name, finding in findings.items():
                # Replace the field's own errors: some quote the value ('"..." is not one of
                # the available choices').
                self._errors.pop(name, None)
                self.add_error(name, secret_message(finding))
        return cleaned_data

    def _raw_value(self, name):
        field = self.fields[name]
        return field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))

    def _secret_values_forget(self, names: Iterable[str]) -> None:
        """Drop the refused values from the bound data (the form is re-rendered from it)."""
        data = self.data.copy()  # a QueryDict's copy is mutable
        for name in names:
            data.pop(self.add_prefix(name), None)
        self.data = data


class SecretGuardModelForm(SecretGuardFormMixin, forms.ModelForm):
    """A guarded ``ModelForm`` (the base of the admin's forms)."""


def _serializer_error(exc: SecretValueError):
    from rest_framework import serializers

    return serializers.ValidationError({field: [message] for field, message in exc.errors.items()})


class SecretGuardSerializerMixin:
    """A DRF serializer that refuses secret-looking values with a 400 and field errors.

    The guard runs on the payload as sent (``to_internal_value``), before DRF validates the
    fields one by one: a field error of DRF's own would otherwise echo the value back (a
    ``ChoiceField`` answers ``'"<value>" is not a valid choice.'``), and ``validate()`` only
    runs when every field is valid. The attributes ``validate()`` receives are derived from
    that payload, so they are guarded too. Errors are ``{field: [message]}``; the message
    never contains the value. Each refusal is counted with channel ``"api"`` and the request's
    user (``self.context["request"]``).
    """

    guard_channel = "api"

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            request = self.context.get("request")
            values = {key: value for key, value in data.items() if key in self.fields}
            try:
                secret_guard(values, channel=self.guard_channel, actor=getattr(request, "user", None))
            except SecretValueError as exc:
                raise _serializer_error(exc) from None
        return super().to_internal_value(data)


# --- error reports ---------------------------------------------------------------------------


class SecretSafeExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's error-report filter that also hides values that look like secrets.

    A request that fails with a 500 after a secret was pasted would otherwise put the value
    in the error report: the POST parameters (the e-mail to the admins, the debug page) and
    the frames' local variables (the debug page, HTML e-mails). POST values and local
    variables holding a secret-looking string (also inside a dict, list or QueryDict, or in
    an object's repr) are replaced by the usual stars. ``DEFAULT_EXCEPTION_REPORTER_FILTER``
    in settings selects it.
    """

    def get_post_parameters(self, request):
        params = super().get_post_parameters(request)
        if not params:
            return params
        params = params.copy()
        for key, values in list(params.lists()):
            if _scan_value(values) is not None:
                params[key] = self.cleansed_substitute
        return params

    def get_traceback_frame_variables(self, request, tb_frame):
        variables = super().get_traceback_frame_variables(request, tb_frame)
        return [(name, self._secrets_hidden(value)) for name, value in variables]

    def _secrets_hidden(self, value):
        if isinstance(value, MultiValueDict):
            scanned = dict(value.lists())
        elif isinstance(value, str | Mapping | list | tuple | set | frozenset):
            scanned = value
        else:  # any other object is shown by its repr
            try:
                scanned = repr(value)[:20_000]
            except Exception:
                return value
        return self.cleansed_substitute if _scan_value(scanned) is not None else value
