"""Shared fixtures. Tests run on PostgreSQL when DATABASE_URL is set, else on SQLite; tests
marked ``postgres`` are then skipped with a visible reason."""

import pytest
from django.db import connection

from tests.factories import UserFactory

REPO_ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent
#: The public inventories (../shared/data beside the checkout).
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL to run it")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def is_postgres(db):
    return connection.vendor == "postgresql"


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def client_logged_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture(scope="session")
def shared_data():
    """Path of ``shared/data``; the real inventories are required input for the suite."""
    assert SHARED_DATA.is_dir(), f"missing {SHARED_DATA}: the real inventories must sit beside the checkout"
    return SHARED_DATA
