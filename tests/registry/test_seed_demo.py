"""seed_demo: refuses when it must, loads the scenario and the inventories, changes nothing twice."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from registry.choices import CredentialStorage, ReviewStatus, RiskTier
from registry.models import Connection, Credential, UseCase


@pytest.fixture
def demo_settings(settings):
    settings.DEBUG = True
    settings.DEMO_PASSWORD = "demo-pass-for-tests"
    return settings


@pytest.mark.django_db
def test_refuses_with_debug_off_unless_forced(settings, capsys):
    settings.DEBUG = False
    settings.DEMO_PASSWORD = "x-demo-pass"
    with pytest.raises(CommandError, match="DEBUG off") as excinfo:
        call_command("seed_demo", "--skip-inventories")
    assert excinfo.value.returncode == 2
    assert not User.objects.exists()
    call_command("seed_demo", "--skip-inventories", "--force")
    assert User.objects.filter(username="admin", is_superuser=True).exists()


@pytest.mark.django_db
def test_refuses_without_a_demo_password(settings):
    settings.DEBUG = True
    settings.DEMO_PASSWORD = ""
    with pytest.raises(CommandError, match="DEMO_PASSWORD") as excinfo:
        call_command("seed_demo", "--skip-inventories")
    assert excinfo.value.returncode == 2
    assert not User.objects.exists()


@pytest.mark.django_db
def test_scenario_accounts_and_idempotency(demo_settings, capsys):
    call_command("seed_demo", "--skip-inventories")
    first = capsys.readouterr().out
    assert "scenario: 0 objects" not in first

    roles = {
        "builder": "builder",
        "reviewer": "security reviewer",
        "curator": "library curator",
        "responder": "incident responder",
        "staff": "staff",
    }
    for username, group in roles.items():
        user = User.objects.get(username=username)
        assert user.check_password("demo-pass-for-tests")
        assert user.groups.filter(name=group).exists(), username
    assert User.objects.get(username="lead").memberships.filter(role="lead", team__name="Marketing").exists()

    key = Credential.objects.get(name__icontains="HubSpot")
    assert key.storage == CredentialStorage.LAPTOP_ENV_FILE
    assert set(key.use_cases.values_list("name", flat=True)) == {"Blog content workflow", "Prospecting agent"}
    assert Connection.objects.filter(
        source__name="Blog content workflow", target__name="Campaign email workflow"
    ).exists()
    gpt = UseCase.objects.get(name="Competitive intelligence GPT")
    assert gpt.owner.username == "builder"
    assert gpt.review_status == ReviewStatus.APPROVED
    prospecting = UseCase.objects.get(name="Prospecting agent")
    assert prospecting.risk_tier in (RiskTier.HIGH, RiskTier.CRITICAL)
    assert any("environment file on a laptop" in reason for reason in prospecting.risk_reasons)

    snapshot = sorted(UseCase.objects.values_list("id", "updated_at"))
    call_command("seed_demo", "--skip-inventories")
    assert "scenario: 0 objects created or changed" in capsys.readouterr().out
    assert sorted(UseCase.objects.values_list("id", "updated_at")) == snapshot


@pytest.mark.django_db(transaction=True)
def test_full_demo_loads_the_inventories_once(demo_settings, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "omb-2025-individual_use_cases.csv.gz: created" in out
    total = UseCase.objects.count()
    assert total > 3000
    assert (
        UseCase.objects.filter(team__parent__abbreviation="HHS").exists()
        or UseCase.objects.filter(team__abbreviation="HHS").exists()
    )
    call_command("seed_demo")
    second = capsys.readouterr().out
    assert second.count("created 0, updated 0") == 2, second
    assert "scenario: 0 objects created or changed" in second
    assert UseCase.objects.count() == total
