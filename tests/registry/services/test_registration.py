"""The registration service: one contract for the page and the API."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError

from registry.choices import CredentialStorage, DataClassification, ReviewStatus, RiskTier
from registry.exceptions import SecretValueError
from registry.models import Credential, DataSource, HistoryEntry, SecretRefusal, UseCase
from registry.services.registration import (
    CredentialInput,
    DataAccessInput,
    NewCredential,
    NewDataSource,
    RegistrationLinks,
    VendorChoice,
    use_case_edit,
    use_case_register,
    use_case_submit,
)
from tests.factories import MembershipFactory, TeamFactory, UserFactory


@pytest.fixture
def builder(db):
    person = UserFactory(username="bea")
    person.groups.add(Group.objects.get(name="builder"))
    MembershipFactory(user=person, team=TeamFactory(name="Marketing"))
    return person


def _fields(builder, **extra):
    return {
        "name": "Competitive analysis GPT",
        "purpose": "Summarises competitors' launches",
        "kind": "custom_gpt",
        "team": builder.memberships.get().team,
        "platform": "ChatGPT Enterprise",
        **extra,
    }


def _links(**extra):
    return RegistrationLinks(vendors=[VendorChoice(new_vendor_name="OpenAI", model_name="GPT-4o")], **extra)


def test_registers_with_a_new_data_source_and_credential(builder):
    links = _links(
        data_accesses=[
            DataAccessInput(
                new_source=NewDataSource(
                    name="CRM", classification=DataClassification.RESTRICTED, has_personal_data=True
                ),
                access="read_write",
                purpose="enrich leads",
            )
        ],
        credentials=[
            CredentialInput(
                new_credential=NewCredential(
                    name="HubSpot key",
                    storage=CredentialStorage.LAPTOP_ENV_FILE,
                    last_rotated_on=dt.date(2026, 1, 1),
                ),
                purpose="posts drafts",
            )
        ],
    )
    use_case = use_case_register(actor=builder, fields=_fields(builder), links=links)

    assert use_case.owner == builder and list(use_case.builders.all()) == [builder]
    assert [v.name for v in use_case.vendors.all()] == ["OpenAI"]
    assert use_case.risk_tier == RiskTier.CRITICAL
    assert any("writes to a restricted data source (CRM)" in r for r in use_case.risk_reasons)
    assert any("environment file on a laptop" in r for r in use_case.risk_reasons)
    assert DataSource.objects.get().owner_team == use_case.team
    assert Credential.objects.get().owner == builder
    assert HistoryEntry.objects.filter(use_case=use_case, action="create").count() == 1
    assert HistoryEntry.objects.filter(action="create").count() == 3  # use case, source, credential


def test_refuses_other_teams_missing_fields_and_bad_dates(builder):
    with pytest.raises(PermissionDenied):
        use_case_register(actor=builder, fields=_fields(builder, team=TeamFactory()), links=_links())
    with pytest.raises(ValidationError) as error:
        use_case_register(
            actor=builder,
            fields=_fields(builder, name=""),
            links=RegistrationLinks(
                credentials=[
                    CredentialInput(
                        new_credential=NewCredential(
                            name="k", last_rotated_on=dt.date(2026, 5, 1), expires_on=dt.date(2026, 4, 1)
                        )
                    )
                ]
            ),
        )
    assert set(error.value.message_dict) == {"name", "vendors", "credentials-0-expires_on"}
    assert not UseCase.objects.exists()


def test_a_secret_is_refused_before_anything_is_written(builder):
    key = "sk-ant-api03-" + "Q" * 20 + "x7Yh3kLmN0pQrStUvWxYz" + "A" * 50 + "-abcdefAA"
    with pytest.raises(SecretValueError) as error:
        use_case_register(actor=builder, fields=_fields(builder, description=f"uses {key}"), links=_links())
    assert "description" in error.value.errors and key not in str(error.value.errors)
    assert not UseCase.objects.exists()
    assert SecretRefusal.objects.get().field == "description"


def test_draft_edit_and_submit(builder):
    use_case = use_case_register(actor=builder, fields=_fields(builder), links=_links(), draft=True)
    assert use_case.is_draft
    result = use_case_edit(actor=builder, use_case=use_case, fields={"platform": "Custom GPT"})
    assert result.changed_fields == ["platform"]
    entry = HistoryEntry.objects.filter(action="update").get()
    assert entry.changes == {"platform": ["ChatGPT Enterprise", "Custom GPT"]}

    review = use_case_submit(actor=builder, use_case=use_case)
    use_case.refresh_from_db()
    assert not use_case.is_draft and use_case.review_status == ReviewStatus.REQUESTED
    assert review.requested_by == builder
    assert use_case_submit(actor=builder, use_case=use_case) == review  # no second open review

    stranger = UserFactory()
    with pytest.raises(PermissionDenied):
        use_case_edit(actor=stranger, use_case=use_case, fields={"platform": "x"})
