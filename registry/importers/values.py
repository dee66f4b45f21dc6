"""Turning spreadsheet cells into registry values.

Every parser takes the cell's text and returns the value, or raises ``ValueError`` with a
message that names the bad value; the layouts turn that into the row's rejection reason.
A blank cell is never an error here: parsers return their "not given" value for it.
"""

import datetime
import hashlib
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.text import slugify

from ..choices import AITechnique, LifecycleStage, UseCaseKind

#: Cells that mean "nothing" in the inventories (compared case-insensitively).
PLACEHOLDERS = frozenset(
    {"", "n/a", "na", "n.a.", "none", "null", "tbd", "unknown", "not available", "not applicable", "-", "--"}
)

#: Vendor cells that name no vendor. The first six are those of the 2025 data dictionary's
#: placeholders; "in-house" and "open source" say that nobody was paid.
_NOT_VENDORS = PLACEHOLDERS | {"in-house", "in house", "in-house development", "open source", "various"}

_CORPORATE_SUFFIX = re.compile(r"^(llc|l\.l\.c\.|inc|inc\.|corp|corp\.|co\.|ltd|ltd\.|llp|plc|lp)$", re.I)
_EMAIL = EmailValidator()
_URL = URLValidator(schemes=["http", "https"])


def text(value) -> str:
    """The cell stripped; ``None`` becomes ``""``."""
    return (value or "").strip()


def one_line(value) -> str:
    """The cell with all runs of whitespace (newlines included) made one space."""
    return " ".join((value or "").split())


def is_placeholder(value) -> bool:
    return one_line(value).casefold() in PLACEHOLDERS


def fingerprint(*parts) -> str:
    """A short stable hash of the normalised parts (case and whitespace ignored)."""
    joined = "\x1f".join(one_line(p).casefold() for p in parts)
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


# --- booleans and numbers ------------------------------------------------------------------

_TRUE = {"yes", "y", "true", "t", "1", "x"}
_FALSE = {"no", "n", "false", "f", "0"}


def parse_bool(value, *, blank=False) -> bool:
    """yes/no, y/n, true/false, 1/0 (any case). Blank gives ``blank``."""
    v = one_line(value).casefold()
    if not v:
        return blank
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValueError(f"'{one_line(value)}' is not yes or no")


def _number_text(value) -> str:
    return one_line(value).replace(",", "").replace("$", "").replace("€", "").replace("£", "").strip()


def parse_int(value, *, maximum=2_147_483_647) -> int | None:
    """A whole number >= 0 (``1,200`` and ``1200.0`` are accepted). Blank gives ``None``."""
    v = _number_text(value)
    if not v:
        return None
    try:
        number = Decimal(v)
    except InvalidOperation:
        raise ValueError(f"'{one_line(value)}' is not a number") from None
    if number != number.to_integral_value() or number < 0 or number > maximum:
        raise ValueError(f"'{one_line(value)}' is not a whole number between 0 and {maximum}")
    return int(number)


def parse_decimal(value, *, places: int, digits: int) -> Decimal | None:
    """A number >= 0 rounded to ``places`` decimals that fits ``digits`` digits. Blank gives None."""
    v = _number_text(value)
    if not v:
        return None
    try:
        number = Decimal(v)
    except InvalidOperation:
        raise ValueError(f"'{one_line(value)}' is not a number") from None
    if not number.is_finite() or number < 0:
        raise ValueError(f"'{one_line(value)}' is not a number of 0 or more")
    number = number.quantize(Decimal(1).scaleb(-places))
    if number >= Decimal(10) ** (digits - places):
        raise ValueError(f"'{one_line(value)}' is too large")
    return number


# --- dates, URLs, emails ------------------------------------------------------------------

_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y",
    "%m/%d/%y",
    "%m/%Y",
    "%b-%y",
    "%b %Y",
    "%B %Y",
    "%b-%Y",
    "%Y-%m",
    "%Y",
)
#: Dates before this are spreadsheet artefacts (Excel's day zero shows as 1900 or 1905).
_EARLIEST = datetime.date(1950, 1, 1)


def parse_date(value) -> datetime.date | None:
    """A date in the forms the inventories use (``2024-10-01 00:00:00``, ``10/1/2023``,
    ``01/2024``, ``Jul-25``, ``2025``); a month or a year alone means its first day.

    Raises:
        ValueError: not a date in any of these forms, or before 1950.
    """
    v = one_line(value)
    if not v:
        return None
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.datetime.strptime(v, fmt).date()
        except ValueError:
            continue
        if parsed < _EARLIEST:
            break
        return parsed
    raise ValueError(f"'{v}' is not a date")


def parse_url(value, *, max_length=500) -> str:
    """An http(s) URL, or ``""`` for a blank cell.

    Raises:
        ValueError: anything else (prose like "Not publicly available", several URLs).
    """
    v = text(value)
    if not v:
        return ""
    if len(v) > max_length:
        raise ValueError(f"'{v[:60]}...' is longer than {max_length} characters")
    try:
        _URL(v)
    except ValidationError:
        raise ValueError(f"'{one_line(v)[:80]}' is not an http(s) URL") from None
    return v


def emails_in(value) -> list[str]:
    """The valid email addresses in a cell (cells list several, separated by , ; or spaces)."""
    found = []
    for part in re.split(r"[,;\s]+", text(value)):
        part = part.strip("<>()[]\"'").rstrip(".")
        if "@" not in part:
            continue
        try:
            _EMAIL(part)
        except ValidationError:
            continue
        if part.lower() not in (f.lower() for f in found):
            found.append(part)
    return found


def parse_email(value) -> str:
    """One email address, or ``""`` for a blank cell. Raises ``ValueError`` otherwise."""
    v = text(value)
    if not v:
        return ""
    try:
        _EMAIL(v)
    except ValidationError:
        raise ValueError(f"'{one_line(v)[:80]}' is not an email address") from None
    return v


# --- registry choices by label or value ---------------------------------------------------


def _choice_table(choices, synonyms: dict[str, str]) -> dict[str, str]:
    table = {}
    for value, label in choices.choices:
        table[value.casefold()] = value
        table[value.replace("_", " ").casefold()] = value
        table[str(label).casefold()] = value
    table.update({k.casefold(): v for k, v in synonyms.items()})
    return table


_STAGES = _choice_table(
    LifecycleStage,
    {
        "planned": "idea",
        "initiated": "idea",
        "proposed": "idea",
        "concept": "idea",
        "ideation": "idea",
        "pre-deployment": "building",
        "development": "building",
        "in development": "building",
        "build": "building",
        "acquisition and/or development": "building",
        "testing": "pilot",
        "trial": "pilot",
        "proof of concept": "pilot",
        "poc": "pilot",
        "implementation and assessment": "pilot",
        "deployed": "production",
        "live": "production",
        "in production": "production",
        "operational": "production",
        "in use": "production",
        "in mission": "production",
        "operation and maintenance": "production",
        "decommissioned": "retired",
        "sunset": "retired",
        "discontinued": "retired",
    },
)

_KINDS = _choice_table(
    UseCaseKind,
    {
        "gpt": "custom_gpt",
        "custom gpt": "custom_gpt",
        "assistant": "custom_gpt",
        "chatbot": "custom_gpt",
        "generative ai": "custom_gpt",
        "agentic ai": "agent",
        "ai agent": "agent",
        "prompt": "prompt_template",
        "workflow": "automation",
        "automation": "automation",
        "script": "script_app",
        "app": "script_app",
        "application": "script_app",
        "plugin": "integration",
        "plug-in": "integration",
        "ml": "ml_model",
        "model": "ml_model",
        "machine learning": "ml_model",
        "commercial": "commercial_feature",
        "commercial product": "commercial_feature",
        "product feature": "commercial_feature",
        "saas": "commercial_feature",
        "cots": "commercial_feature",
        "vendor purchased": "commercial_feature",
    },
)

_TECHNIQUES = _choice_table(
    AITechnique,
    {
        "generative": "generative",
        "genai": "generative",
        "agentic": "agentic",
        "classical/predictive machine learning": "classical_ml",
        "machine learning": "classical_ml",
        "ml": "classical_ml",
        "natural language processing": "nlp",
        "reinforcement learning": "reinforcement",
    },
)


def _parse_choice(value, table, what) -> str:
    v = one_line(value)
    if not v:
        return ""
    found = table.get(v.casefold())
    if found is None:
        raise ValueError(f"'{v}' is not a known {what}")
    return found


def parse_stage(value) -> str:
    """A lifecycle stage by value or label (``production``, ``Deployed``, ``Pilot``...)."""
    return _parse_choice(value, _STAGES, "lifecycle stage")


def parse_kind(value) -> str:
    """A use-case kind by value or label (``agent``, ``Custom GPT``, ``workflow``...)."""
    return _parse_choice(value, _KINDS, "kind")


def parse_technique(value) -> str:
    """An AI technique by value or label (``Generative AI``, ``NLP``, ``classical_ml``...)."""
    return _parse_choice(value, _TECHNIQUES, "AI technique")


# --- vendors and products -----------------------------------------------------------------


def vendor_names(value, *, max_length=100) -> list[str]:
    """The vendors named in a cell, trimmed, deduplicated case-insensitively, in order.

    Separators are ``;``, ``,``, new lines and `` / ``; a corporate suffix after a comma
    ("Deloitte Consulting, LLC") stays with its name. Placeholders ("Not available", "N/A",
    "None", "TBD", "Unknown", blank) and prose longer than ``max_length`` are ignored.
    """
    parts = []
    for piece in re.split(r"[;,\n]|\s/\s", value or ""):
        piece = one_line(piece).strip(" .")
        if not piece:
            continue
        if parts and _CORPORATE_SUFFIX.match(piece):
            parts[-1] = f"{parts[-1]}, {piece}"
            continue
        parts.append(piece)
    names: list[str] = []
    seen = set()
    for name in parts:
        key = name.casefold()
        if key in _NOT_VENDORS or key in seen or len(name) > max_length:
            continue
        seen.add(key)
        names.append(name)
    return names


#: Product name -> vendor, first match wins (OMB 2025 COTS file). Patterns match words in
#: the product's name, case-insensitively. Specific names come before generic ones
#: ("Azure OpenAI" is Microsoft's, "GitHub Copilot" is GitHub's).
_PRODUCT_VENDORS = [
    (r"github", "GitHub"),
    (r"magnet", "Magnet Forensics"),
    (
        r"azure|microsoft|\bms\b|m365|copilot|\bteams\b|power ?bi|power ?automate|defender|viva|outlook|"
        r"windows hello|purview|purvue|dynamics|sharepoint|bing",
        "Microsoft",
    ),
    (r"aws|amazon|bedrock", "Amazon"),
    (r"google|googel|gemini|notebooklm|vertex|waze|gemma", "Google"),
    (r"apple|iphone|ipad|siri|face id|\bios\b", "Apple"),
    (r"adobe|firefly|photoshop|premiere", "Adobe"),
    (r"zoom", "Zoom"),
    (r"openai|open ai|chatgpt|dall-e|codex", "OpenAI"),
    (r"claude|anthropic", "Anthropic"),
    (r"grammarly", "Grammarly"),
    (r"salesforce|agentforce|einstein|slack|tableau", "Salesforce"),
    (r"servicenow|now assist", "ServiceNow"),
    (r"perplexity", "Perplexity"),
    (r"\bxai\b|grok", "xAI"),
    (r"\bmeta\b|llama", "Meta"),
    (r"splunk", "Splunk"),
    (r"crowdstrike|falcon", "CrowdStrike"),
    (r"palantir|plantir", "Palantir"),
    (r"concur|\bsap\b", "SAP"),
    (r"sprout", "Sprout Social"),
    (r"meltwater", "Meltwater"),
    (r"databricks", "Databricks"),
    (r"relativity", "Relativity"),
    (r"westlaw|thomson reuters|thomas reuters", "Thomson Reuters"),
    (r"lexis", "LexisNexis"),
    (r"zendesk", "Zendesk"),
    (r"zscaler", "Zscaler"),
    (r"otter", "Otter.ai"),
    (r"hootsuite", "Hootsuite"),
    (r"asana", "Asana"),
    (r"alteryx", "Alteryx"),
    (r"canva", "Canva"),
    (r"samsung", "Samsung"),
    (r"webex|cisco", "Cisco"),
    (r"gitlab", "GitLab"),
    (r"bloomberg", "Bloomberg"),
    (r"medallia", "Medallia"),
    (r"dataiku", "Dataiku"),
    (r"genesys", "Genesys"),
    (r"elastic", "Elastic"),
    (r"appian", "Appian"),
    (r"monday\.com", "monday.com"),
    (r"dragon professional|nuance", "Microsoft"),
]
_PRODUCT_VENDOR_PATTERNS = [(re.compile(p, re.I), v) for p, v in _PRODUCT_VENDORS]


def vendor_for_product(product: str) -> str | None:
    """The vendor of a commercial product by its name (a small table), or ``None``."""
    for pattern, vendor in _PRODUCT_VENDOR_PATTERNS:
        if pattern.search(product):
            return vendor
    return None


#: Spellings of one product in the COTS file -> one name (normalised product keys).
_PRODUCT_ALIASES = {
    "m365-copilot": "microsoft-365-copilot",
    "microsoft-m365-copilot-ai": "microsoft-365-copilot",
    "microsoft365-copilot": "microsoft-365-copilot",
    "copilot-for-ms-365": "microsoft-365-copilot",
    "ms-365-copilot": "microsoft-365-copilot",
    "microsoft-copilot-365": "microsoft-365-copilot",
    "ms-copilot": "microsoft-copilot",
    "iphones": "apple-iphone",
    "googel-maps": "google-maps",
}


def product_key(name: str) -> str:
    """The normalised key of a product name: case, spacing and punctuation ignored."""
    key = slugify(one_line(name))
    return _PRODUCT_ALIASES.get(key, key)


def product_names(value) -> list[str]:
    """The products named in a COTS cell ("ChatGPT, Claude; Gemini"), placeholders dropped.

    Commas inside parentheses do not separate ("Microsoft 365 suite (Teams, Word)"). Line
    breaks separate only in cells with no commas or semicolons, and not before a lower-case
    word: Excel wraps long names ("Vyond\nfor Government", "Google AI\nMode, ...").
    """
    value = value or ""
    if "," in value or ";" in value:
        value = " ".join(value.splitlines())
    else:
        lines = []
        for line in value.splitlines():
            if lines and line.strip()[:1].islower():
                lines[-1] = f"{lines[-1]} {line}"
            else:
                lines.append(line)
        value = "\n".join(lines)
    names, depth, current = [], 0, []
    for char in value:
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(0, depth - 1)
        if depth == 0 and char in ",;\n":
            names.append("".join(current))
            current = []
        else:
            current.append(char)
    names.append("".join(current))
    out = []
    for name in names:
        for part in re.split(r"\s&\s", name):
            part = one_line(part).strip(" .")
            if part and part.casefold() not in _NOT_VENDORS and product_key(part):
                out.append(part)
    return out


def band_lower_bound(band) -> int | None:
    """The lower bound of a licence band: ``"101-1000"`` -> 101, ``"50,000+"`` -> 50000."""
    match = re.match(r"\s*([\d,]+)", band or "")
    if not match:
        return None
    return int(match.group(1).replace(",", ""))
