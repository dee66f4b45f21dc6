"""Benchmark: who built what for a credential used by 1,000 use cases (issue 7: under 1 s).

Builds the data in a scratch PostgreSQL database (dropped and recreated each run), then
times the selector, the page, the CSV export and the API, and counts their queries.

    .venv/bin/python bench/who_built_what.py                       # 1,000 use cases
    .venv/bin/python bench/who_built_what.py --use-cases 5000 --noise 20000
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1/my_scratch .venv/bin/python bench/who_built_what.py

The data: one credential used by N use cases (each with an owner and a backup owner from a
pool of 300 people, two builders, a team of 20 with leads, two data sources, a vendor, three
history entries), each feeding one of N second-level use cases, half of which feed a third
level that feeds back into the first (a cycle); plus ``--noise`` unrelated use cases with
their own history, so the indexes have something to skip.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1/registry_bench_who_built_what"


def recreate_database(url: str) -> None:
    """Drop and create the scratch database named in ``url`` (never the one in DATABASE_URL)."""
    import psycopg

    name = urlparse(url).path.lstrip("/")
    if not name or name == urlparse(os.environ.get("DATABASE_URL", "")).path.lstrip("/"):
        raise SystemExit("refusing to drop the configured DATABASE_URL: give a scratch database")
    admin = urlparse(url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def build(n: int, noise: int):
    """Create the data; returns (credential, responder)."""
    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType

    from accounts.choices import MembershipRole
    from accounts.models import Membership, Team, User
    from registry.choices import AccessMode, CredentialStorage, DataClassification
    from registry.models import (
        Connection,
        Credential,
        CredentialUse,
        DataAccess,
        DataSource,
        HistoryEntry,
        UseCase,
        Vendor,
        VendorUse,
    )

    org = Team.objects.create(name="Bench Corp", slug="bench-corp", kind="organisation")
    teams = Team.objects.bulk_create(
        [Team(name=f"Team {i:02}", slug=f"team-{i:02}", parent=org) for i in range(20)]
    )
    people = User.objects.bulk_create(
        [
            User(
                username=f"person{i:03}",
                first_name=f"First{i:03}",
                last_name="Person",
                email=f"person{i:03}@bench.example",
                phone=f"+1 555 {i:04}",
            )
            for i in range(300)
        ]
    )
    Membership.objects.bulk_create(
        [Membership(user=people[i], team=team, role=MembershipRole.LEAD) for i, team in enumerate(teams)]
    )
    responder = User.objects.create(username="responder", email="responder@bench.example")
    responder.groups.add(Group.objects.get(name="incident responder"))
    vendor = Vendor.objects.create(name="HubSpot", slug="hubspot")
    key = Credential.objects.create(
        name="HubSpot private app key",
        issuer=vendor,
        storage=CredentialStorage.LAPTOP_ENV_FILE,
        owner=people[0],
        team=teams[0],
    )
    sources = DataSource.objects.bulk_create(
        [
            DataSource(name="CRM", classification=DataClassification.CONFIDENTIAL, has_personal_data=True),
            DataSource(name="Warehouse", classification=DataClassification.RESTRICTED),
            DataSource(name="Drive", classification=DataClassification.INTERNAL),
        ]
    )

    def use_cases(prefix, count):
        return UseCase.objects.bulk_create(
            [
                UseCase(
                    name=f"{prefix} {i:05}",
                    purpose=f"{prefix} tool number {i} drafts emails from the CRM",
                    kind="automation",
                    team=teams[i % 20],
                    owner=people[i % 300],
                    backup_owner=people[(i + 7) % 300],
                    lifecycle_stage="production",
                )
                for i in range(count)
            ],
            batch_size=2000,
        )

    direct = use_cases("Direct", n)
    second = use_cases("Second", n)
    third = use_cases("Third", n // 2)
    other = use_cases("Other", noise)
    CredentialUse.objects.bulk_create([CredentialUse(use_case=u, credential=key) for u in direct])
    Connection.objects.bulk_create(
        [Connection(source=a, target=b) for a, b in zip(direct, second, strict=True)]
        + [Connection(source=b, target=c) for b, c in zip(second, third, strict=False)]
        + [Connection(source=c, target=a) for c, a in zip(third, direct, strict=False)]
    )
    through = UseCase.builders.through
    through.objects.bulk_create(
        [
            through(usecase_id=u.pk, user_id=people[(i + j * 3) % 300].pk)
            for i, u in enumerate(direct)
            for j in (1, 2)
        ]
    )
    DataAccess.objects.bulk_create(
        [
            DataAccess(use_case=u, data_source=sources[k], access=AccessMode.READ)
            for u in [*direct, *second, *third]
            for k in (0, 1)
        ],
        batch_size=5000,
    )
    VendorUse.objects.bulk_create([VendorUse(use_case=u, vendor=vendor) for u in direct])
    ct = ContentType.objects.get_for_model(UseCase)
    HistoryEntry.objects.bulk_create(
        [
            HistoryEntry(
                actor=people[(u.pk + k) % 300],
                actor_label=f"First{(u.pk + k) % 300:03} Person",
                action="update",
                content_type=ct,
                object_id=u.pk,
                object_repr=u.name,
                use_case=u,
                summary=f"change {k}",
            )
            for u in [*direct, *second, *third, *other]
            for k in range(3)
        ],
        batch_size=5000,
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return key, responder


def timed(fn, runs: int):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fn()  # warm-up: caches, first compile of templates
    times, queries = [], 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - start)
        queries = len(captured)
    return statistics.median(times), max(times), queries, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--use-cases", type=int, default=1000, help="use cases using the credential (1000)")
    parser.add_argument("--noise", type=int, default=5000, help="unrelated use cases (5000)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--depth", type=int, default=3)
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    recreate_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench-only-insecure-key")
    # The real settings, with plain static files (no collectstatic manifest needed here).
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host, a local mail outbox
    import logging

    logging.getLogger("axes").setLevel(logging.WARNING)  # one login line per request otherwise
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    key, responder = build(args.use_cases, args.noise)
    print(
        f"built {args.use_cases} direct + {args.use_cases * 3 // 2} downstream + {args.noise} others "
        f"in {time.perf_counter() - started:.1f} s ({url})"
    )

    from accounts.permissions import standing_forget
    from registry.selectors.who_built_what import WhoBuiltWhatQuery, who_built_what

    query = WhoBuiltWhatQuery("credential", key.pk, args.depth)

    def selector():
        standing_forget(responder)
        return who_built_what(user=responder, query=query)

    client = Client()
    client.force_login(responder)
    base = f"/who-built-what/?credential={key.pk}&depth={args.depth}"
    rows = []
    median, worst, count, answer = timed(selector, args.runs)
    rows.append(
        (
            "selector",
            median,
            worst,
            count,
            f"{len(answer.direct)} direct, {len(answer.downstream)} downstream",
        )
    )
    for label, path in [
        ("page (HTML)", base),
        ("CSV export", base + "&format=csv"),
        ("print packet", base + "&format=print"),
        ("API (JSON)", f"/api/who-built-what/?credential={key.pk}&depth={args.depth}"),
    ]:
        median, worst, count, response = timed(lambda path=path: client.get(path), args.runs)
        assert response.status_code == 200, (path, response.status_code)
        rows.append((label, median, worst, count, f"{len(response.content) / 1024:.0f} KiB"))
    print(f"\n{'what':<14} {'median':>9} {'worst':>9} {'queries':>8}  size")
    for label, median, worst, count, note in rows:
        print(f"{label:<14} {median * 1000:>7.0f}ms {worst * 1000:>7.0f}ms {count:>8}  {note}")


if __name__ == "__main__":
    main()
