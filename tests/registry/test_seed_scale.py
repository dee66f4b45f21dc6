"""seed_scale: a realistic registry from the real texts, one credential used by 1,000 use cases,
reviews in every state, and a refusal when data exists."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from registry.choices import ReviewState
from registry.models import Credential, LibraryEntry, SecurityReview, UsageReport, UseCase
from registry.scale import SHARED_CREDENTIAL_NAME


@pytest.mark.django_db
def test_seeds_a_realistic_registry_and_refuses_to_run_twice(capsys):
    call_command("seed_scale", "--use-cases", "2000")
    assert "use cases 2000" in capsys.readouterr().out
    assert UseCase.objects.count() == 2000
    shared = Credential.objects.get(name=SHARED_CREDENTIAL_NAME)
    assert shared.use_cases.count() == 1000
    assert set(SecurityReview.objects.values_list("state", flat=True)) == set(ReviewState.values)
    assert LibraryEntry.objects.exists() and UsageReport.objects.exists()
    # Real words to search: texts come from OMB's inventory.
    assert UseCase.objects.filter(name__icontains="chatbot").exists()
    # Risk tiers are computed, and every tier occurs.
    assert UseCase.objects.values("risk_tier").distinct().count() == 4

    with pytest.raises(CommandError, match="already holds use cases") as error:
        call_command("seed_scale", "--use-cases", "10")
    assert error.value.returncode == 2
    assert UseCase.objects.count() == 2000
