"""A realistic registry at scale, for benchmarks (``manage.py seed_scale``).

Texts come from the real inventories (``registry/data``: OMB 2025 individual and COTS), reused
with variations, so search has real words to find. Everything is drawn from one seeded random
generator: the same ``--use-cases`` and ``--seed`` give the same registry. Rows are written
with ``bulk_create`` in batches; risk tiers are computed in memory with the same rule as
everywhere (``registry.rules.risk``).
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import random
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from accounts.choices import MembershipRole, TeamKind
from accounts.models import Membership, Team, User

from . import choices as c
from .demo import DATA_DIR
from .models import (
    AIModel,
    Connection,
    Credential,
    CredentialUse,
    DataAccess,
    DataSource,
    LibraryEntry,
    SecurityReview,
    UsageReport,
    UseCase,
    Vendor,
    VendorUse,
)
from .rules.risk import DataFact, RiskFacts, risk_assess

BATCH = 5000
#: The one credential a thousand use cases share (the who-built-what benchmark's subject).
SHARED_CREDENTIAL_NAME = "Shared OpenAI production key"
SHARED_CREDENTIAL_USES = 1000


@dataclass
class ScaleReport:
    teams: int = 0
    people: int = 0
    vendors: int = 0
    models: int = 0
    data_sources: int = 0
    credentials: int = 0
    use_cases: int = 0
    connections: int = 0
    reviews: int = 0
    library_entries: int = 0
    usage_reports: int = 0


def _texts() -> list[tuple[str, str, str]]:
    """(name, purpose, description) from the shipped 2025 inventory."""
    rows = []
    with gzip.open(DATA_DIR / "omb-2025-individual_use_cases.csv.gz", "rt", encoding="utf-8-sig") as f:
        for row in csv.DictReader(io.StringIO(f.read())):
            name = (row.get("use_case_name") or "").strip()
            purpose = (row.get("problem_solved") or "").strip()
            if name and purpose:
                rows.append((name[:400], purpose, (row.get("benefits") or "").strip()))
    return rows


def _chunks(items, size=BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def scale_seed(*, use_cases: int, seed: int = 2026, out=None) -> ScaleReport:
    """Fill an empty registry with ``use_cases`` use cases and everything around them.

    Raises:
        ValueError: the registry already holds use cases (seed an empty database).
    """
    if UseCase.objects.exists():
        raise ValueError("the registry already holds use cases: seed_scale fills an empty database only")
    rng = random.Random(seed)
    log = out or (lambda message: None)
    report = ScaleReport()
    texts = _texts()
    now = timezone.now()
    n_teams_per_org = 10
    n_orgs = 30
    n_people = max(50, min(5000, use_cases // 20))

    with transaction.atomic():
        orgs = Team.objects.bulk_create(
            Team(name=f"Division {i + 1:02d}", slug=f"scale-div-{i + 1:02d}", kind=TeamKind.ORGANISATION)
            for i in range(n_orgs)
        )
        team_names = [
            "Marketing",
            "Sales",
            "Support",
            "Finance",
            "HR",
            "Legal",
            "Data",
            "IT",
            "Research",
            "Ops",
        ]
        teams = Team.objects.bulk_create(
            Team(
                name=team_names[j],
                slug=f"{org.slug}-{team_names[j].lower()}",
                kind=TeamKind.DOMAIN,
                parent=org,
            )
            for org in orgs
            for j in range(n_teams_per_org)
        )
        report.teams = len(orgs) + len(teams)
        orgs_by_id = {org.pk: org for org in orgs}
        log(f"teams {report.teams}")

        password = make_password(None)  # unusable: scale people never log in
        people = User.objects.bulk_create(
            User(
                username=f"person{i:05d}",
                email=f"person{i:05d}@scale.example",
                first_name=f"Person{i}",
                last_name=f"Scale{i % 97}",
                password=password,
            )
            for i in range(n_people)
        )
        report.people = len(people)
        membership_rows = []
        team_people: dict[int, list[User]] = {t.pk: [] for t in teams}
        for i, person in enumerate(people):
            team = teams[i % len(teams)]
            team_people[team.pk].append(person)
            role = MembershipRole.LEAD if len(team_people[team.pk]) == 1 else MembershipRole.MEMBER
            membership_rows.append(Membership(user=person, team=team, role=role))
        for chunk in _chunks(membership_rows):
            Membership.objects.bulk_create(chunk)
        log(f"people {report.people}")

        vendors = Vendor.objects.bulk_create(
            Vendor(name=f"Vendor {i:03d}", slug=f"scale-vendor-{i:03d}") for i in range(200)
        )
        models = AIModel.objects.bulk_create(
            AIModel(vendor=v, name=f"Model {k}") for v in vendors for k in range(5)
        )
        report.vendors, report.models = len(vendors), len(models)

        classifications = [
            c.DataClassification.PUBLIC,
            c.DataClassification.INTERNAL,
            c.DataClassification.CONFIDENTIAL,
            c.DataClassification.RESTRICTED,
        ]
        sources = DataSource.objects.bulk_create(
            DataSource(
                name=f"System of record {i:03d}",
                classification=classifications[i % 4],
                has_personal_data=i % 3 == 0,
                has_customer_data=i % 5 == 0,
                owner_team=teams[i % len(teams)],
            )
            for i in range(500)
        )
        report.data_sources = len(sources)
        storages = list(c.CredentialStorage.values)
        credentials = Credential.objects.bulk_create(
            Credential(
                name=SHARED_CREDENTIAL_NAME if i == 0 else f"Credential {i:04d}",
                kind=c.CredentialKind.API_KEY,
                issuer=vendors[i % len(vendors)],
                storage=c.CredentialStorage.SECRETS_MANAGER if i == 0 else storages[i % len(storages)],
                vault_reference=f"vault://scale/{i}",
                owner=people[i % len(people)],
                team=teams[i % len(teams)],
                last_rotated_on=dt.date(2026, 1, 1) + dt.timedelta(days=i % 300),
            )
            for i in range(2000)
        )
        report.credentials = len(credentials)
        log("vendors, models, data sources, credentials")

        stages = [
            c.LifecycleStage.IDEA,
            c.LifecycleStage.BUILDING,
            c.LifecycleStage.PILOT,
            c.LifecycleStage.PRODUCTION,
            c.LifecycleStage.PRODUCTION,
            c.LifecycleStage.RETIRED,
        ]
        kinds = list(c.UseCaseKind.values)
        rows, plans = [], []
        every, shared_uses = max(1, use_cases // SHARED_CREDENTIAL_USES), 0
        for i in range(use_cases):
            name, purpose, description = texts[i % len(texts)]
            variant = i // len(texts)
            team = teams[rng.randrange(len(teams))]
            members = team_people[team.pk] or people
            owner = members[rng.randrange(len(members))]
            accesses = [
                (sources[rng.randrange(len(sources))], rng.choice(list(c.AccessMode.values)))
                for _ in range(rng.randrange(4))
            ]
            creds = [credentials[rng.randrange(1, len(credentials))] for _ in range(rng.randrange(3))]
            if i % every == 0 and shared_uses < SHARED_CREDENTIAL_USES:
                creds = [credentials[0], *creds]
                shared_uses += 1
            high_impact = rng.random() < 0.08
            facts = RiskFacts(
                is_high_impact=high_impact,
                handles_personal_data=rng.random() < 0.1,
                data=tuple(
                    DataFact(
                        s.name,
                        s.classification,
                        s.has_personal_data,
                        s.has_customer_data,
                        mode != c.AccessMode.READ,
                    )
                    for s, mode in {s.pk: (s, m) for s, m in accesses}.values()
                ),
                unsafe_credentials=tuple(
                    (cr.name, c.CredentialStorage(cr.storage).label)
                    for cr in {cr.pk: cr for cr in creds}.values()
                    if cr.storage in c.UNSAFE_CREDENTIAL_STORAGE
                ),
            )
            assessment = risk_assess(facts)
            rows.append(
                UseCase(
                    name=name
                    if variant == 0
                    else f"{name} ({orgs_by_id[team.parent_id].name} v{variant + 1})"[:500],
                    purpose=purpose,
                    description=description,
                    kind=kinds[i % len(kinds)],
                    team=team,
                    owner=owner,
                    backup_owner=members[rng.randrange(len(members))] if len(members) > 1 else None,
                    lifecycle_stage=stages[i % len(stages)],
                    is_high_impact=high_impact,
                    handles_personal_data=facts.handles_personal_data,
                    risk_tier=assessment.tier,
                    risk_reasons=assessment.reasons,
                    users_count=rng.randrange(0, 200),
                    hours_saved_per_week=rng.randrange(0, 60),
                    documentation_url=f"https://wiki.scale.example/ai/{i}" if i % 3 else "",
                    external_id=f"SCALE-{i:06d}",
                    source_key=f"scale:{seed}:{i}",
                )
            )
            plans.append((accesses, None, list({cr.pk: cr for cr in creds}.values())))
        created = []
        for chunk in _chunks(rows):
            created.extend(UseCase.objects.bulk_create(chunk))
            log(f"use cases {len(created)}")
        report.use_cases = len(created)

        vendor_uses, data_accesses, credential_uses = [], [], []
        for uc, (accesses, _, creds) in zip(created, plans, strict=True):
            vendor_index = rng.randrange(len(vendors))
            vendor_uses.append(
                VendorUse(use_case=uc, vendor=vendors[vendor_index], model=models[vendor_index * 5])
            )
            for source, mode in {s.pk: (s, m) for s, m in accesses}.values():
                data_accesses.append(DataAccess(use_case=uc, data_source=source, access=mode))
            for cred in creds:
                credential_uses.append(CredentialUse(use_case=uc, credential=cred))
        for model, items in (
            (VendorUse, vendor_uses),
            (DataAccess, data_accesses),
            (CredentialUse, credential_uses),
        ):
            for chunk in _chunks(items):
                model.objects.bulk_create(chunk)
        log("links")

        connections = set()
        for _ in range(len(created) // 5):
            a, b = rng.randrange(len(created)), rng.randrange(len(created))
            if a != b:
                connections.add((a, b))
        for chunk in _chunks([Connection(source=created[a], target=created[b]) for a, b in connections]):
            Connection.objects.bulk_create(chunk)
        report.connections = len(connections)

        states = list(c.ReviewState.values)
        reviews = []
        for i, uc in enumerate(created):
            if i % 4 == 3:
                continue  # a quarter never reviewed
            state = states[i % len(states)]
            requested = now - dt.timedelta(days=rng.randrange(1, 400))
            decided = (
                requested + dt.timedelta(days=rng.randrange(1, 10))
                if state not in c.OPEN_REVIEW_STATES
                else None
            )
            reviews.append(
                SecurityReview(
                    use_case=uc,
                    state=state,
                    requested_at=requested,
                    decided_at=decided,
                    expires_at=decided + dt.timedelta(days=365) if state == c.ReviewState.APPROVED else None,
                    reviewer=people[i % len(people)] if state != c.ReviewState.REQUESTED else None,
                    risk_rank=c.RISK_TIER_RANK.get(uc.risk_tier, 0),
                )
            )
            uc.review_status = state
        for chunk in _chunks(reviews):
            SecurityReview.objects.bulk_create(chunk)
        for chunk in _chunks(created):
            UseCase.objects.bulk_update(chunk, ["review_status"])
        report.reviews = len(reviews)
        log(f"reviews {report.reviews}")

        eligible = [
            uc
            for uc in created
            if uc.review_status == c.ReviewState.APPROVED
            and uc.lifecycle_stage == c.LifecycleStage.PRODUCTION
        ][: max(10, len(created) // 100)]
        entries = LibraryEntry.objects.bulk_create(
            LibraryEntry(
                use_case=uc,
                reuse_summary=uc.purpose[:500],
                how_to_adopt="Ask the owner for access.",
                category=["Content", "Sales", "Research", "Operations"][k % 4],
            )
            for k, uc in enumerate(eligible)
        )
        report.library_entries = len(entries)
        months = [dt.date(2026, m, 1) for m in range(7, 11)]
        usage = [
            UsageReport(
                use_case=uc,
                period=month,
                active_users=rng.randrange(1, 300),
                runs=rng.randrange(10, 5000),
                hours_saved=rng.randrange(1, 80),
                cost=rng.randrange(10, 2000),
            )
            for uc in eligible
            for month in months
        ]
        for chunk in _chunks(usage):
            UsageReport.objects.bulk_create(chunk)
        report.usage_reports = len(usage)
    if connection.vendor == "postgresql" and connection.get_autocommit():
        # The seed writes each use case twice (created, then its review status), leaving half of
        # the table dead: compact it as a long-lived registry would be after autovacuum. Then
        # fresh planner statistics (without them PostgreSQL guesses a few hundred open reviews
        # instead of tens of thousands, and picks plans that take seconds) and the visibility
        # map that index-only scans need. VACUUM cannot run inside a transaction, so a caller's
        # transaction (the tests') skips this.
        log("vacuum")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (FULL, ANALYZE) registry_usecase")
            cursor.execute("VACUUM (ANALYZE)")
    return report
