"""The demo: the 2025 federal inventories plus a small marketing-and-sales scenario, and one
account per role. Used by ``seed_demo``; idempotent (a second run changes nothing)."""

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.choices import MembershipRole, RoleGroup, TeamKind
from accounts.models import Membership, Team, User

from . import choices as c
from .models import (
    AIModel,
    Connection,
    Credential,
    CredentialUse,
    DataAccess,
    DataSource,
    FoundationDocument,
    FoundationDocumentUse,
    SecurityReview,
    UseCase,
    Vendor,
    VendorUse,
)
from .services.reviews import use_case_refresh_review_status
from .services.risk import use_case_refresh_risk

DATA_DIR = Path(__file__).resolve().parent / "data"
#: The shipped inventories (U.S. Government works, public domain), imported in this order.
DEMO_INVENTORIES = ["omb-2025-individual_use_cases.csv.gz", "omb-2025-cots_use_cases.csv.gz"]

#: username -> (first, last, title, team name or None, membership role, role group or None)
DEMO_ACCOUNTS = {
    "builder": ("Bea", "Builder", "Content marketer", "Marketing", MembershipRole.MEMBER, RoleGroup.BUILDER),
    "lead": ("Lee", "Lead", "Head of marketing", "Marketing", MembershipRole.LEAD, RoleGroup.BUILDER),
    "reviewer": (
        "Rey",
        "Reviewer",
        "Security engineer",
        "Security",
        MembershipRole.MEMBER,
        RoleGroup.SECURITY_REVIEWER,
    ),
    "curator": (
        "Cora",
        "Curator",
        "AI enablement lead",
        "AI Enablement",
        MembershipRole.MEMBER,
        RoleGroup.LIBRARY_CURATOR,
    ),
    "responder": (
        "Remy",
        "Responder",
        "Incident responder",
        "Security",
        MembershipRole.MEMBER,
        RoleGroup.INCIDENT_RESPONDER,
    ),
    "staff": ("Sasha", "Staff", "Account executive", "Sales", MembershipRole.MEMBER, RoleGroup.STAFF),
    "admin": ("Ada", "Admin", "Registry operator", None, None, None),
}


@dataclass
class SeedReport:
    """What a seeding run did: per inventory, the importer's summary line; the scenario's
    objects created or changed (0 on a second run)."""

    imports: dict[str, str] = field(default_factory=dict)
    scenario_changes: int = 0


class _Upserter:
    """Create or update rows, saving only when a value differs (so re-runs change nothing)."""

    def __init__(self):
        self.changes = 0

    def __call__(self, model, lookup: dict, values: dict | None = None):
        values = values or {}
        obj = model.objects.filter(**lookup).first()
        if obj is None:
            obj = model.objects.create(**lookup, **values)
            self.changes += 1
            return obj
        dirty = [name for name, value in values.items() if getattr(obj, name) != value]
        if dirty:
            for name in dirty:
                setattr(obj, name, values[name])
            obj.save()
            self.changes += 1
        return obj


def _vendor(upsert: _Upserter, name: str, website: str) -> Vendor:
    # The imported inventories may already hold the vendor (same name, any case).
    existing = Vendor.objects.filter(name__iexact=name).first()
    if existing:
        return existing
    slug = slugify(name)
    if Vendor.objects.filter(slug=slug).exists():
        slug = f"{slug}-vendor"
    return upsert(Vendor, {"name": name}, {"slug": slug, "website": website})


def seed_accounts(password: str, upsert: _Upserter) -> dict[str, User]:
    """One demo account per role (DESIGN.md), all with ``password``; returns them by username."""
    acme = upsert(Team, {"slug": "acme"}, {"name": "Acme Corp", "kind": TeamKind.ORGANISATION})
    teams = {
        name: upsert(Team, {"slug": f"acme-{slugify(name)}"}, {"name": name, "kind": kind, "parent": acme})
        for name, kind in [
            ("Marketing", TeamKind.DOMAIN),
            ("Sales", TeamKind.DOMAIN),
            ("Security", TeamKind.CENTRAL),
            ("AI Enablement", TeamKind.CENTRAL),
        ]
    }
    users = {}
    for username, (first, last, title, team, role, group) in DEMO_ACCOUNTS.items():
        is_admin = username == "admin"
        user = upsert(
            User,
            {"username": username},
            {
                "first_name": first,
                "last_name": last,
                "title": title,
                "email": f"{username}@acme.example",
                "is_staff": is_admin,
                "is_superuser": is_admin,
                "is_active": True,
            },
        )
        if not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
            upsert.changes += 1
        if team:
            upsert(Membership, {"user": user, "team": teams[team]}, {"role": role})
        if group and not user.groups.filter(name=group).exists():
            user.groups.add(Group.objects.get_or_create(name=group)[0])
            upsert.changes += 1
        users[username] = user
    # The lead leads Sales too, so the prospecting agent has a lead to route to.
    upsert(Membership, {"user": users["lead"], "team": teams["Sales"]}, {"role": MembershipRole.LEAD})
    return users


def seed_scenario(users: dict[str, User], upsert: _Upserter) -> list[UseCase]:
    """The marketing-and-sales scenario of issue 2 (a competitive-intelligence GPT, a
    prospecting agent, a content workflow feeding a campaign workflow, a HubSpot key in a
    laptop's env file, a brand-voice document, a CRM with customer personal data)."""
    marketing = Team.objects.get(slug="acme-marketing")
    sales = Team.objects.get(slug="acme-sales")
    builder, lead, reviewer, curator = users["builder"], users["lead"], users["reviewer"], users["curator"]

    openai = _vendor(upsert, "OpenAI", "https://openai.com")
    anthropic = _vendor(upsert, "Anthropic", "https://www.anthropic.com")
    hubspot = _vendor(upsert, "HubSpot", "https://www.hubspot.com")
    gpt = upsert(AIModel, {"vendor": openai, "name": "GPT-4o"})
    claude = upsert(AIModel, {"vendor": anthropic, "name": "Claude Sonnet"})
    breeze = upsert(AIModel, {"vendor": hubspot, "name": "Breeze AI"})

    crm = upsert(
        DataSource,
        {"name": "Salesforce CRM"},
        {
            "system": "Salesforce Sales Cloud",
            "classification": c.DataClassification.CONFIDENTIAL,
            "has_personal_data": True,
            "has_customer_data": True,
            "owner_team": sales,
            "description": "Accounts, contacts and opportunities: customer personal data.",
        },
    )
    hubspot_db = upsert(
        DataSource,
        {"name": "HubSpot Marketing Hub"},
        {
            "system": "HubSpot",
            "classification": c.DataClassification.CONFIDENTIAL,
            "has_personal_data": True,
            "has_customer_data": True,
            "owner_team": marketing,
            "description": "Contacts, lists and email campaigns.",
        },
    )
    web = upsert(
        DataSource,
        {"name": "Competitor websites and analyst reports"},
        {"classification": c.DataClassification.PUBLIC, "description": "Public competitive information."},
    )
    drive = upsert(
        DataSource,
        {"name": "Brand assets drive"},
        {"system": "Google Drive", "classification": c.DataClassification.INTERNAL, "owner_team": marketing},
    )

    hubspot_key = upsert(
        Credential,
        {"name": "HubSpot private app key (marketing)"},
        {
            "kind": c.CredentialKind.API_KEY,
            "issuer": hubspot,
            "storage": c.CredentialStorage.LAPTOP_ENV_FILE,
            "owner": builder,
            "team": marketing,
            "scope": "crm.objects.contacts.read, crm.objects.contacts.write, content",
            "last_rotated_on": dt.date(2026, 2, 2),
            "notes": "Kept in HUBSPOT_KEY in a .env file on the builder's laptop.",
        },
    )
    openai_key = upsert(
        Credential,
        {"name": "OpenAI API key (sales automation)"},
        {
            "kind": c.CredentialKind.API_KEY,
            "issuer": openai,
            "storage": c.CredentialStorage.SECRETS_MANAGER,
            "vault_reference": "vault://secret/sales/openai-api",
            "owner": lead,
            "team": sales,
            "scope": "model.request",
            "last_rotated_on": dt.date(2026, 9, 1),
            "expires_on": dt.date(2027, 9, 1),
        },
    )
    brand_voice = upsert(
        FoundationDocument,
        {"name": "Acme brand voice"},
        {
            "kind": c.FoundationDocumentKind.BRAND_VOICE,
            "owner": curator,
            "current_version": "2026.2",
            "link": "https://intranet.acme.example/brand/voice",
            "last_reviewed_on": dt.date(2026, 10, 1),
        },
    )

    def use_case(name, values):
        return upsert(UseCase, {"name": name, "team": values.pop("team")}, values)

    gpt_uc = use_case(
        "Competitive intelligence GPT",
        {
            "team": marketing,
            "purpose": "Answers sales and marketing questions about competitors' products, pricing and "
            "positioning from public sources and analyst reports.",
            "description": "A custom GPT with our battlecards and positioning guides as knowledge.",
            "outputs": "Battlecard drafts, competitor summaries.",
            "kind": c.UseCaseKind.CUSTOM_GPT,
            "technique": c.AITechnique.GENERATIVE,
            "owner": builder,
            "backup_owner": lead,
            "lifecycle_stage": c.LifecycleStage.PRODUCTION,
            "platform": "ChatGPT Enterprise",
            "human_in_the_loop": "A product marketer checks each battlecard before it is shared.",
            "documentation_url": "https://intranet.acme.example/ai/competitive-gpt",
            "users_count": 24,
            "hours_saved_per_week": 30,
            "monthly_cost": 480,
        },
    )
    prospecting = use_case(
        "Prospecting agent",
        {
            "team": sales,
            "purpose": "Researches target accounts, enriches CRM contacts and drafts first-touch emails "
            "for account executives to send.",
            "kind": c.UseCaseKind.AGENT,
            "technique": c.AITechnique.AGENTIC,
            "owner": lead,
            "lifecycle_stage": c.LifecycleStage.PILOT,
            "platform": "n8n",
            "autonomy": c.Autonomy.HUMAN_APPROVES,
            "human_in_the_loop": "Account executives approve every email before it is sent.",
            "users_count": 6,
        },
    )
    content = use_case(
        "Blog content workflow",
        {
            "team": marketing,
            "purpose": "Turns a brief into a blog draft in the brand voice and posts it to HubSpot "
            "as a draft.",
            "kind": c.UseCaseKind.AUTOMATION,
            "technique": c.AITechnique.GENERATIVE,
            "owner": builder,
            "lifecycle_stage": c.LifecycleStage.PRODUCTION,
            "platform": "Zapier",
            "users_count": 5,
            "hours_saved_per_week": 12,
        },
    )
    campaign = use_case(
        "Campaign email workflow",
        {
            "team": marketing,
            "purpose": "Builds nurture emails from new blog posts and schedules them to HubSpot "
            "contact lists.",
            "kind": c.UseCaseKind.AUTOMATION,
            "technique": c.AITechnique.GENERATIVE,
            "owner": lead,
            "backup_owner": builder,
            "lifecycle_stage": c.LifecycleStage.PRODUCTION,
            "platform": "HubSpot workflows",
            "exposure": c.Exposure.PUBLIC,
            "autonomy": c.Autonomy.AUTONOMOUS,
            "users_count": 3,
        },
    )
    for uc, builders in [
        (gpt_uc, [builder]),
        (prospecting, [builder, lead]),
        (content, [builder]),
        (campaign, [builder]),
    ]:
        missing = set(builders) - set(uc.builders.all())
        if missing:
            uc.builders.add(*missing)
            upsert.changes += 1

    for uc, vendor, model in [
        (gpt_uc, openai, gpt),
        (prospecting, openai, gpt),
        (content, anthropic, claude),
        (campaign, hubspot, breeze),
    ]:
        upsert(VendorUse, {"use_case": uc, "vendor": vendor, "model": model})
    for uc, source, access, purpose in [
        (gpt_uc, web, c.AccessMode.READ, "Competitor research"),
        (prospecting, crm, c.AccessMode.READ_WRITE, "Reads accounts, writes enriched contacts"),
        (content, drive, c.AccessMode.READ, "Brand guidelines and images"),
        (content, hubspot_db, c.AccessMode.WRITE, "Posts blog drafts"),
        (campaign, hubspot_db, c.AccessMode.READ_WRITE, "Reads contact lists, schedules emails"),
    ]:
        upsert(DataAccess, {"use_case": uc, "data_source": source}, {"access": access, "purpose": purpose})
    for uc, cred, purpose in [
        (content, hubspot_key, "Posts drafts to HubSpot"),
        (prospecting, hubspot_key, "Looks up marketing engagement"),
        (prospecting, openai_key, "Model calls"),
    ]:
        upsert(CredentialUse, {"use_case": uc, "credential": cred}, {"purpose": purpose})
    upsert(
        Connection,
        {"source": content, "target": campaign},
        {"what_flows": "Published blog posts", "classification": c.DataClassification.INTERNAL},
    )
    for uc, version in [(gpt_uc, "2026.1"), (content, "2026.2"), (campaign, "2026.2")]:
        upsert(FoundationDocumentUse, {"use_case": uc, "document": brand_voice}, {"version": version})

    # The GPT is approved; the prospecting agent waits for review. Fixed dates keep re-runs identical.
    decided = timezone.make_aware(dt.datetime(2026, 9, 15, 10, 0))
    upsert(
        SecurityReview,
        {
            "use_case": gpt_uc,
            "source": c.ReviewSource.REGISTRY,
            "requested_at": decided - dt.timedelta(days=2),
        },
        {
            "state": c.ReviewState.APPROVED,
            "requested_by": builder,
            "reviewer": reviewer,
            "decided_at": decided,
            "expires_at": decided + dt.timedelta(days=365),
            "findings": "Public sources only; no customer data.",
            "conditions": ["no_personal_data"],
        },
    )
    upsert(
        SecurityReview,
        {"use_case": prospecting, "source": c.ReviewSource.REGISTRY},
        {
            "state": c.ReviewState.REQUESTED,
            "requested_by": lead,
            "requested_at": timezone.make_aware(dt.datetime(2026, 11, 10, 9, 0)),
        },
    )
    scenario = [gpt_uc, prospecting, content, campaign, *seed_review_queue(users, upsert)]
    scenario += seed_library(users, upsert)
    for uc in scenario:
        before = (uc.risk_tier, uc.risk_reasons, uc.review_status)
        use_case_refresh_risk(use_case=uc)
        use_case_refresh_review_status(use_case=uc)
        if (uc.risk_tier, uc.risk_reasons, uc.review_status) != before:
            upsert.changes += 1
    return scenario


def seed_review_queue(users: dict[str, User], upsert: _Upserter) -> list[UseCase]:
    """A queue worth working: open reviews of several tiers and ages (one overdue), one claimed,
    a change request waiting on the builder, and an approval about to expire. Dates are set
    relative to the first run and never moved by later runs."""
    marketing = Team.objects.get(slug="acme-marketing")
    sales = Team.objects.get(slug="acme-sales")
    builder, lead, reviewer = users["builder"], users["lead"], users["reviewer"]
    crm = DataSource.objects.get(name="Salesforce CRM")
    hubspot_db = DataSource.objects.get(name="HubSpot Marketing Hub")
    openai = Vendor.objects.get(name__iexact="OpenAI")
    now = timezone.now()
    created = []

    def use_case(name, team, owner, values, accesses=()):
        uc = upsert(
            UseCase,
            {"name": name, "team": team},
            {
                "owner": owner,
                "kind": c.UseCaseKind.CUSTOM_GPT,
                "technique": c.AITechnique.GENERATIVE,
                **values,
            },
        )
        upsert(VendorUse, {"use_case": uc, "vendor": openai, "model": None})
        for source, mode in accesses:
            upsert(DataAccess, {"use_case": uc, "data_source": source}, {"access": mode})
        if not uc.builders.exists():
            uc.builders.add(owner)
            upsert.changes += 1
        created.append(uc)
        return uc

    def review_once(uc, values):
        # Created once with dates relative to now; a second run leaves it as it is.
        if not SecurityReview.objects.filter(use_case=uc).exists():
            SecurityReview.objects.create(use_case=uc, source=c.ReviewSource.REGISTRY, **values)
            upsert.changes += 1

    support = use_case(
        "Customer support reply drafter",
        sales,
        lead,
        {
            "purpose": "Drafts replies to customer support tickets from the CRM case history.",
            "lifecycle_stage": c.LifecycleStage.PILOT,
            "platform": "Zendesk app",
            "exposure": c.Exposure.PUBLIC,
            "backup_owner": builder,
        },
        [(crm, c.AccessMode.READ)],
    )
    review_once(
        support,
        {
            "state": c.ReviewState.REQUESTED,
            "requested_by": lead,
            "requested_at": now - dt.timedelta(days=7),
            "request_note": "submitted for security review",
        },
    )
    notes = use_case(
        "Meeting notes summariser",
        marketing,
        builder,
        {
            "purpose": "Summarises internal meeting transcripts into action items.",
            "lifecycle_stage": c.LifecycleStage.BUILDING,
            "platform": "Microsoft Teams",
            "backup_owner": lead,
        },
    )
    review_once(
        notes,
        {
            "state": c.ReviewState.REQUESTED,
            "requested_by": builder,
            "requested_at": now - dt.timedelta(days=1),
            "request_note": "submitted for security review",
        },
    )
    forecast = use_case(
        "Pipeline forecast assistant",
        sales,
        lead,
        {
            "purpose": "Answers questions about the sales pipeline and forecasts the quarter from CRM data.",
            "lifecycle_stage": c.LifecycleStage.PILOT,
            "platform": "ChatGPT Enterprise",
        },
        [(crm, c.AccessMode.READ)],
    )
    review_once(
        forecast,
        {
            "state": c.ReviewState.IN_REVIEW,
            "requested_by": lead,
            "reviewer": reviewer,
            "requested_at": now - dt.timedelta(days=3),
            "claimed_at": now - dt.timedelta(days=2),
            "request_note": "submitted for security review",
        },
    )
    newsletter = use_case(
        "Newsletter personalisation workflow",
        marketing,
        builder,
        {
            "purpose": "Personalises the monthly newsletter for each contact segment.",
            "kind": c.UseCaseKind.AUTOMATION,
            "lifecycle_stage": c.LifecycleStage.BUILDING,
            "platform": "Zapier",
        },
        [(hubspot_db, c.AccessMode.READ_WRITE)],
    )
    review_once(
        newsletter,
        {
            "state": c.ReviewState.CHANGES_REQUESTED,
            "requested_by": builder,
            "reviewer": reviewer,
            "requested_at": now - dt.timedelta(days=6),
            "decided_at": now - dt.timedelta(days=4),
            "findings": "Add a backup owner and say who checks each segment before sending.",
            "request_note": "submitted for security review",
        },
    )
    proposals = use_case(
        "Proposal writer GPT",
        sales,
        lead,
        {
            "purpose": "Drafts sales proposals from our proof points and the opportunity's notes.",
            "lifecycle_stage": c.LifecycleStage.PRODUCTION,
            "platform": "ChatGPT Enterprise",
            "backup_owner": builder,
            "users_count": 14,
            "hours_saved_per_week": 20,
            "documentation_url": "https://intranet.acme.example/ai/proposal-gpt",
        },
    )
    review_once(
        proposals,
        {
            "state": c.ReviewState.APPROVED,
            "requested_by": lead,
            "reviewer": reviewer,
            "requested_at": now - dt.timedelta(days=372),
            "decided_at": now - dt.timedelta(days=355),
            "expires_at": now + dt.timedelta(days=10),
            "findings": "Internal use; no customer data.",
            "conditions": ["internal_only"],
            "request_note": "submitted for security review",
        },
    )
    return created


def seed_library(users: dict[str, User], upsert: _Upserter) -> list[UseCase]:
    """The shared library's demo (issue 6), with fixed dates so re-runs change nothing.

    - The competitive-intelligence GPT graduates (approved with the no-personal-data condition,
      in production, owner and backup, documentation, 24 active users in its latest report):
      a candidate for ``curator`` to promote.
    - Near-misses, one criterion missing each: the proposal writer (its latest usage report
      shows too few users and hours), a social post drafter (no documentation) and a webinar
      follow-up workflow (a token pasted into its workflow's settings).
    - One entry already listed (an account research GPT, adopted once), so the library is not empty.
    - The brand voice's versions 2026.1 and 2026.2 (the GPT is still on 2026.1: flagged).
    """
    from decimal import Decimal

    from .models import Adoption, FoundationDocumentVersion, LibraryEntry, UsageReport

    marketing = Team.objects.get(slug="acme-marketing")
    sales = Team.objects.get(slug="acme-sales")
    builder, lead, reviewer, curator = users["builder"], users["lead"], users["reviewer"], users["curator"]
    openai = Vendor.objects.get(name__iexact="OpenAI")
    drive = DataSource.objects.get(name="Brand assets drive")
    web = DataSource.objects.get(name="Competitor websites and analyst reports")
    gpt_uc = UseCase.objects.get(name="Competitive intelligence GPT", team=marketing)
    proposals = UseCase.objects.get(name="Proposal writer GPT", team=sales)
    brand_voice = FoundationDocument.objects.get(name="Acme brand voice")

    def fixed(model, obj, field_name, value):
        # auto_now_add fields ignore a given value on create: set the fixed date afterwards.
        if getattr(obj, field_name) != value:
            model.objects.filter(pk=obj.pk).update(**{field_name: value})
            setattr(obj, field_name, value)
            upsert.changes += 1

    def month(year, number):
        return dt.date(year, number, 1)

    def reports(uc, reporter, rows):
        for period, active, runs, hours, cost in rows:
            upsert(
                UsageReport,
                {"use_case": uc, "period": period},
                {
                    "active_users": active,
                    "runs": runs,
                    "hours_saved": Decimal(hours),
                    "cost": Decimal(cost),
                    "source": UsageReport.Source.MANUAL,
                    "reported_by": reporter,
                },
            )

    reports(
        gpt_uc,
        builder,
        [
            (month(2026, 8), 18, 640, "96.0", "460.00"),
            (month(2026, 9), 21, 720, "112.0", "470.00"),
            (month(2026, 10), 24, 810, "130.0", "480.00"),
        ],
    )
    # The proposal writer's registered figures look fine, but its latest report does not.
    reports(
        proposals,
        lead,
        [(month(2026, 9), 4, 60, "22.0", "120.00"), (month(2026, 10), 3, 41, "18.0", "120.00")],
    )

    decided = timezone.make_aware(dt.datetime(2026, 10, 1, 10, 0))

    def approved(uc, requester, findings):
        upsert(
            SecurityReview,
            {
                "use_case": uc,
                "source": c.ReviewSource.REGISTRY,
                "requested_at": decided - dt.timedelta(days=3),
            },
            {
                "state": c.ReviewState.APPROVED,
                "requested_by": requester,
                "reviewer": reviewer,
                "decided_at": decided,
                "expires_at": decided + dt.timedelta(days=365),
                "findings": findings,
            },
        )

    def use_case(name, team, values, builders):
        uc = upsert(UseCase, {"name": name, "team": team}, values)
        upsert(VendorUse, {"use_case": uc, "vendor": openai, "model": None})
        missing = set(builders) - set(uc.builders.all())
        if missing:
            uc.builders.add(*missing)
            upsert.changes += 1
        return uc

    social = use_case(
        "Social post drafter",
        marketing,
        {
            "purpose": "Drafts LinkedIn and X posts from new blog posts and product news, in the brand "
            "voice.",
            "kind": c.UseCaseKind.CUSTOM_GPT,
            "technique": c.AITechnique.GENERATIVE,
            "owner": builder,
            "backup_owner": lead,
            "lifecycle_stage": c.LifecycleStage.PRODUCTION,
            "platform": "ChatGPT Enterprise",
            "human_in_the_loop": "The social media manager edits and posts each draft.",
            "users_count": 9,
            "hours_saved_per_week": 6,
        },
        [builder],
    )
    upsert(DataAccess, {"use_case": social, "data_source": drive}, {"access": c.AccessMode.READ})
    approved(social, builder, "Internal brand assets only.")
    upsert(FoundationDocumentUse, {"use_case": social, "document": brand_voice}, {"version": "2026.2"})

    webinar_token = upsert(
        Credential,
        {"name": "Zapier webhook token (webinars)"},
        {
            "kind": c.CredentialKind.API_KEY,
            "storage": c.CredentialStorage.WORKFLOW_SETTINGS,
            "owner": lead,
            "team": marketing,
            "scope": "webinar registrations webhook",
            "last_rotated_on": dt.date(2026, 6, 1),
            "notes": "Pasted into the Zap's webhook step.",
        },
    )
    webinar = use_case(
        "Webinar follow-up workflow",
        marketing,
        {
            "purpose": "Writes a personalised follow-up summary for each webinar attendee's questions.",
            "kind": c.UseCaseKind.AUTOMATION,
            "technique": c.AITechnique.GENERATIVE,
            "owner": lead,
            "backup_owner": builder,
            "lifecycle_stage": c.LifecycleStage.PRODUCTION,
            "platform": "Zapier",
            "documentation_url": "https://intranet.acme.example/ai/webinar-follow-up",
            "users_count": 7,
            "hours_saved_per_week": 8,
        },
        [lead],
    )
    upsert(
        CredentialUse,
        {"use_case": webinar, "credential": webinar_token},
        {"purpose": "Receives registrations"},
    )
    approved(webinar, lead, "Internal summaries; human sends.")

    research = use_case(
        "Account research brief GPT",
        sales,
        {
            "purpose": "Writes a one-page brief on a target account from its website, filings and news "
            "before a first meeting.",
            "description": "A custom GPT with our qualification questions and account plan template.",
            "kind": c.UseCaseKind.CUSTOM_GPT,
            "technique": c.AITechnique.GENERATIVE,
            "owner": lead,
            "backup_owner": builder,
            "lifecycle_stage": c.LifecycleStage.PRODUCTION,
            "platform": "ChatGPT Enterprise",
            "human_in_the_loop": "The account executive reads the brief; nothing is sent.",
            "documentation_url": "https://intranet.acme.example/ai/account-research",
            "users_count": 11,
            "hours_saved_per_week": 14,
        },
        [lead],
    )
    upsert(DataAccess, {"use_case": research, "data_source": web}, {"access": c.AccessMode.READ})
    approved(research, lead, "Public sources only.")
    reports(research, lead, [(month(2026, 10), 11, 300, "61.0", "220.00")])
    entry = upsert(
        LibraryEntry,
        {"use_case": research},
        {
            "reuse_summary": "Reuse it before any first meeting with a new account: a one-page brief from "
            "public sources in two minutes instead of an hour of reading.",
            "how_to_adopt": "1. Read the documentation: https://intranet.acme.example/ai/account-research\n"
            "2. Ask the owner, Lee Lead, to share the GPT with your ChatGPT Enterprise workspace.\n"
            "3. Your team needs access to: OpenAI (ChatGPT Enterprise).\n"
            "4. Data access you need: reads Competitor websites and analyst reports (public).\n"
            "5. Register your copy in the registry and submit it for security review.",
            "category": "Sales",
            "version": "1.2",
            "status": LibraryEntry.Status.LISTED,
            "promoted_by": curator,
        },
    )
    fixed(LibraryEntry, entry, "promoted_at", timezone.make_aware(dt.datetime(2026, 10, 20, 9, 0)))
    adoption = upsert(
        Adoption,
        {"entry": entry, "adopted_by": builder},
        {"team": marketing, "note": "Briefs for co-marketing partners."},
    )
    fixed(Adoption, adoption, "adopted_at", timezone.make_aware(dt.datetime(2026, 11, 2, 14, 0)))

    for number, published, notes in [
        ("2026.1", dt.datetime(2026, 3, 2, 9, 0), "First registry version."),
        ("2026.2", dt.datetime(2026, 9, 1, 9, 0), "New tone for product launches; fewer superlatives."),
    ]:
        version = upsert(
            FoundationDocumentVersion,
            {"document": brand_voice, "version": number},
            {"notes": notes, "published_by": curator, "link": "https://intranet.acme.example/brand/voice"},
        )
        fixed(FoundationDocumentVersion, version, "published_at", timezone.make_aware(published))
    return [social, webinar, research]


def demo_seed(*, password: str, import_inventories: bool = True) -> SeedReport:
    """Load the demo: inventories first (each in its own transaction), then accounts and scenario.

    Args:
        password: the demo accounts' password (``DEMO_PASSWORD``).
        import_inventories: import the shipped 2025 inventories (tests may skip them for speed).

    Returns:
        A ``SeedReport``.
    """
    report = SeedReport()
    if import_inventories:
        import tempfile

        from .services.imports import inventory_import

        for name in DEMO_INVENTORIES:
            rejects = Path(tempfile.gettempdir()) / f"seed-demo-{name.removesuffix('.csv.gz')}.rejected.csv"
            result = inventory_import(DATA_DIR / name, rejects_path=rejects)
            report.imports[name] = result.summary()
    with transaction.atomic():
        upsert = _Upserter()
        users = seed_accounts(password, upsert)
        seed_scenario(users, upsert)
        report.scenario_changes = upsert.changes
    return report
