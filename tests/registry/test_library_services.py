"""The shared library's services: promotion (curators, eligible use cases only), the entry's
life (edit, deprecate, unlist), the sweep with a moved clock, adoption and linked use cases,
usage reports idempotent per month, foundation versions and their emails. Every write is in
the history."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.choices import MembershipRole
from registry.choices import CredentialStorage, LifecycleStage, ReviewState
from registry.exceptions import SecretValueError, TransitionNotAllowed
from registry.models import (
    Adoption,
    FoundationDocumentUse,
    FoundationDocumentVersion,
    HistoryEntry,
    LibraryEntry,
    Notification,
    SecretRefusal,
    UsageReport,
    UseCase,
)
from registry.selectors.library import library_entries_for
from registry.services import library as svc
from tests.factories import (
    CredentialFactory,
    CredentialUseFactory,
    DataAccessFactory,
    DataSourceFactory,
    TeamFactory,
    UseCaseFactory,
)

from .test_library_world import graduate, person, report

pytestmark = pytest.mark.django_db

ENTRY = {
    "reuse_summary": "Reuse it to research competitors.",
    "how_to_adopt": "1. Ask.",
    "category": "Research",
}


@pytest.fixture
def curator(db):
    return person("library curator", email="cora@example.com")


def history(obj):
    return list(HistoryEntry.objects.filter(object_id=obj.pk, content_type__model=obj._meta.model_name))


# --- promotion -----------------------------------------------------------------------------


def test_a_curator_promotes_an_eligible_use_case_and_it_is_recorded(curator):
    use_case = graduate()
    entry = svc.library_promote(use_case=use_case, actor=curator, version="2.0", **ENTRY)
    assert entry.status == LibraryEntry.Status.LISTED
    assert (entry.category, entry.version, entry.promoted_by) == ("Research", "2.0", curator)
    [record] = history(entry)
    assert record.actor == curator and record.use_case_id == use_case.pk
    assert record.summary == "promoted to the shared library (Research, version 2.0)"


@pytest.mark.parametrize("role", ["builder", "staff", "security reviewer", "incident responder"])
def test_only_curators_and_admins_promote(role):
    use_case = graduate()
    with pytest.raises(PermissionDenied):
        svc.library_promote(use_case=use_case, actor=person(role), **ENTRY)
    assert not LibraryEntry.objects.exists()
    admin = person(is_superuser=True)
    assert svc.library_promote(use_case=use_case, actor=admin, **ENTRY).status == "listed"


def test_an_ineligible_use_case_is_refused_with_the_unmet_criteria(curator):
    use_case = graduate(lifecycle_stage=LifecycleStage.PILOT, documentation_url="")
    with pytest.raises(svc.PromotionRefused) as refused:
        svc.library_promote(use_case=use_case, actor=curator, **ENTRY)
    assert [c.key for c in refused.value.unmet] == ["production", "documentation"]
    assert refused.value.reasons == [
        "It is at the pilot stage, not in production.",
        "No documentation or runbook link is recorded.",
    ]
    assert not LibraryEntry.objects.exists()
    assert not HistoryEntry.objects.filter(content_type__model="libraryentry").exists()


def test_ownership_blockers_refuse_promotion(curator):
    use_case = graduate(ownership_note="its owner left; routed to the team lead")
    with pytest.raises(svc.PromotionRefused) as refused:
        svc.library_promote(use_case=use_case, actor=curator, **ENTRY)
    assert "ownership needs attention" in " ".join(refused.value.reasons)


def test_suspended_or_already_listed_use_cases_are_refused(curator):
    suspended = graduate(suspended_at=timezone.now(), suspended_reason="leaked key")
    with pytest.raises(svc.PromotionRefused, match="suspended"):
        svc.library_promote(use_case=suspended, actor=curator, **ENTRY)
    use_case = graduate()
    svc.library_promote(use_case=use_case, actor=curator, **ENTRY)
    with pytest.raises(svc.PromotionRefused, match="already in the library"):
        svc.library_promote(use_case=use_case, actor=curator, **ENTRY)


def test_an_unlisted_entry_is_promoted_again(curator):
    use_case = graduate()
    entry = svc.library_promote(use_case=use_case, actor=curator, **ENTRY)
    svc.library_unlist(entry=entry, actor=curator, reason="tidy up")
    again = svc.library_promote(use_case=use_case, actor=curator, **{**ENTRY, "category": "Sales"})
    assert again.pk == entry.pk and again.status == "listed" and again.category == "Sales"
    assert [h.summary for h in history(entry)][0] == "promoted to the shared library again"


def test_a_secret_in_the_entry_is_refused_before_anything_is_written(curator):
    use_case = graduate()
    with pytest.raises(SecretValueError):
        svc.library_promote(
            use_case=use_case,
            actor=curator,
            reuse_summary="Use it.",
            how_to_adopt="Set OPENAI_API_KEY=sk-proj-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e",
            category="Research",
        )
    assert not LibraryEntry.objects.exists()
    assert SecretRefusal.objects.filter(field="how_to_adopt").exists()


def test_required_texts(curator):
    with pytest.raises(ValidationError) as error:
        svc.library_promote(
            use_case=graduate(), actor=curator, reuse_summary=" ", how_to_adopt="", category=""
        )
    assert set(error.value.message_dict) == {"reuse_summary", "how_to_adopt", "category"}


# --- edit, deprecate, unlist -----------------------------------------------------------------


def test_edit_deprecate_and_unlist_are_recorded(curator):
    entry = svc.library_promote(use_case=graduate(), actor=curator, **ENTRY)
    replacement = svc.library_promote(use_case=graduate(name="Better GPT"), actor=curator, **ENTRY)
    svc.library_entry_edit(entry=entry, actor=curator, values={"version": "1.1"})
    svc.library_entry_edit(entry=entry, actor=curator, values={"version": "1.1"})  # unchanged: no record
    with pytest.raises(ValidationError):
        svc.library_deprecate(entry=entry, actor=curator, reason="")
    svc.library_deprecate(entry=entry, actor=curator, reason="Superseded.", replacement=replacement)
    entry.refresh_from_db()
    assert (entry.status, entry.deprecation_reason, entry.replacement) == (
        "deprecated",
        "Superseded.",
        replacement,
    )
    with pytest.raises(TransitionNotAllowed):
        svc.library_deprecate(entry=entry, actor=curator, reason="again")
    svc.library_unlist(entry=entry, actor=curator)
    with pytest.raises(TransitionNotAllowed):
        svc.library_unlist(entry=entry, actor=curator)
    summaries = [h.summary for h in reversed(history(entry))]
    assert summaries == [
        "promoted to the shared library (Research, version 1.0)",
        "library entry changed",
        "deprecated; use Better GPT instead",
        "unlisted from the shared library",
    ]
    with pytest.raises(PermissionDenied):
        svc.library_entry_edit(entry=replacement, actor=person("builder"), values={"version": "9"})


# --- the sweep ---------------------------------------------------------------------------------


def test_an_entry_whose_owner_left_is_flagged_then_unlisted_when_not_fixed(curator, settings):
    settings.LIBRARY_UNLIST_AFTER_DAYS = 14
    use_case = graduate(name="Competitive GPT")
    entry = svc.library_promote(use_case=use_case, actor=curator, **ENTRY)
    staff = person("staff")
    assert svc.library_sweep().as_dict() == {"flagged": 0, "cleared": 0, "unlisted": 0}

    use_case.owner.is_active = False
    use_case.owner.save()
    t0 = timezone.now()
    assert svc.library_sweep(now=t0).flagged == 1
    entry.refresh_from_db()
    assert "has left" in entry.flag_reason and entry.flagged_at == t0
    assert Notification.objects.filter(to_email="cora@example.com", subject__contains="flagged").count() == 1
    # Readers still see it, with the warning; a second sweep does not email again.
    assert list(library_entries_for(staff)) == [entry]
    assert svc.library_sweep(now=t0 + dt.timedelta(days=13)).as_dict() == {
        "flagged": 0,
        "cleared": 0,
        "unlisted": 0,
    }
    assert svc.library_sweep(now=t0 + dt.timedelta(days=14)).unlisted == 1
    entry.refresh_from_db()
    assert entry.status == LibraryEntry.Status.UNLISTED
    assert not library_entries_for(staff).exists()
    assert history(entry)[0].summary.startswith("unlisted from the shared library: flagged since")
    assert history(entry)[0].actor is None


def test_an_expired_or_reopened_approval_flags_and_a_fix_clears(curator):
    use_case = graduate()
    entry = svc.library_promote(use_case=use_case, actor=curator, **ENTRY)
    review = use_case.reviews.get()
    review.expires_at = timezone.now() - dt.timedelta(minutes=1)
    review.save()
    assert svc.library_sweep().flagged == 1
    entry.refresh_from_db()
    assert entry.flag_reason.startswith("Its approval expired on")
    # Reopened: a requested review is now the latest.
    use_case.reviews.create(state=ReviewState.REQUESTED, requested_at=timezone.now())
    svc.library_sweep()
    entry.refresh_from_db()
    assert entry.flag_reason == "Its latest security review is requested, not approved."
    # Approved again: the flag is cleared.
    use_case.reviews.filter(state=ReviewState.REQUESTED).update(
        state=ReviewState.APPROVED,
        decided_at=timezone.now(),
        expires_at=timezone.now() + dt.timedelta(days=90),
    )
    assert svc.library_sweep().cleared == 1
    entry.refresh_from_db()
    assert (entry.flag_reason, entry.flagged_at) == ("", None)


def test_a_suspended_use_case_is_hidden_at_once_and_flagged(curator):
    use_case = graduate()
    entry = svc.library_promote(use_case=use_case, actor=curator, **ENTRY)
    staff = person("staff")
    UseCase.objects.filter(pk=use_case.pk).update(suspended_at=timezone.now(), suspended_reason="key leaked")
    assert not library_entries_for(staff).exists()
    assert list(library_entries_for(curator)) == [entry]
    svc.library_sweep()
    entry.refresh_from_db()
    assert entry.flag_reason.startswith("It is suspended by an incident responder: key leaked.")


# --- adoption -----------------------------------------------------------------------------------


@pytest.fixture
def library_entry(curator):
    use_case = graduate(name="Competitive intelligence GPT")
    DataAccessFactory(use_case=use_case, data_source=DataSourceFactory(name="Competitor sites"))
    CredentialUseFactory(
        use_case=use_case,
        credential=CredentialFactory(
            name="OpenAI key (marketing)",
            storage=CredentialStorage.SECRETS_MANAGER,
            vault_reference="vault://x",
        ),
    )
    return svc.library_promote(use_case=use_case, actor=curator, **ENTRY)


def test_staff_record_an_adoption_once(library_entry):
    sales = TeamFactory(name="Sales")
    staff = person("staff", team=sales)
    first = svc.adoption_record(entry=library_entry, actor=staff, team=sales, note="for QBR prep")
    again = svc.adoption_record(entry=library_entry, actor=staff)
    assert first.created and not again.created
    assert again.adoption.pk == first.adoption.pk
    assert (again.adoption.team, again.adoption.note, again.adoption.use_case) == (
        sales,
        "for QBR prep",
        None,
    )
    assert Adoption.objects.count() == 1
    [record] = history(first.adoption)
    assert record.use_case_id == library_entry.use_case_id and record.summary.endswith("by Sales")


def test_staff_adopt_with_their_own_linked_use_case_but_only_for_their_team(library_entry):
    """Reuse is open to everyone (docs/permissions.md, note a): staff may create their own copy
    for a team they belong to, never for another team."""
    sales = TeamFactory(name="Sales")
    staff = person("staff", team=sales)
    with pytest.raises(ValidationError):
        svc.adoption_record(entry=library_entry, actor=staff, team=TeamFactory())
    assert not Adoption.objects.exists()
    result = svc.adoption_record(entry=library_entry, actor=staff, team=sales, create_use_case=True)
    assert (result.linked_use_case.team, result.linked_use_case.owner) == (sales, staff)
    assert result.linked_use_case.adopted_from.entry == library_entry


def test_a_builder_adopts_with_their_own_linked_use_case(library_entry):
    sales = TeamFactory(name="Sales")
    builder = person("builder", team=sales)
    source = library_entry.use_case
    result = svc.adoption_record(entry=library_entry, actor=builder, team=sales, create_use_case=True)
    linked = result.linked_use_case
    assert result.adoption.use_case == linked
    assert (linked.team, linked.owner, linked.is_draft) == (sales, builder, True)
    assert linked.name == "Competitive intelligence GPT (Sales)"
    assert (linked.purpose, linked.kind, linked.platform) == (source.purpose, source.kind, source.platform)
    assert set(linked.vendor_uses.values_list("vendor_id", flat=True)) == set(
        source.vendor_uses.values_list("vendor_id", flat=True)
    )
    assert list(linked.data_accesses.values_list("data_source__name", flat=True)) == ["Competitor sites"]
    assert not linked.credential_uses.exists()  # an adopter uses their own credentials
    assert linked.adopted_from.entry == library_entry
    assert HistoryEntry.objects.filter(use_case=linked, summary__startswith="adopted from").exists()
    assert HistoryEntry.objects.filter(use_case=linked, summary__startswith="saved as a draft").exists()
    # Asking again does not create a second one.
    again = svc.adoption_record(entry=library_entry, actor=builder, team=sales, create_use_case=True)
    assert again.linked_use_case is None and UseCase.objects.filter(team=sales).count() == 1


def test_deprecated_or_suspended_entries_cannot_be_adopted(library_entry, curator):
    staff = person("staff")
    UseCase.objects.filter(pk=library_entry.use_case_id).update(suspended_at=timezone.now())
    with pytest.raises(TransitionNotAllowed):
        svc.adoption_record(entry=library_entry, actor=staff)
    UseCase.objects.filter(pk=library_entry.use_case_id).update(suspended_at=None)
    svc.library_deprecate(entry=library_entry, actor=curator, reason="Old.")
    with pytest.raises(TransitionNotAllowed):
        svc.adoption_record(entry=library_entry, actor=staff)


# --- usage reports --------------------------------------------------------------------------------


def test_usage_is_one_report_per_month_updated_in_place():
    team = TeamFactory()
    owner = person("builder", team=team)
    use_case = UseCaseFactory(team=team, owner=owner)
    today = dt.date(2026, 11, 22)
    report_, created = svc.usage_report_upsert(
        use_case=use_case,
        actor=owner,
        period="2026-10",
        active_users=20,
        runs=300,
        hours_saved="41.5",
        cost="99.5",
        today=today,
    )
    assert created and report_.period == dt.date(2026, 10, 1) and report_.cost == Decimal("99.50")
    again, created = svc.usage_report_upsert(
        use_case=use_case,
        actor=owner,
        period=dt.date(2026, 10, 31),
        active_users=20,
        runs=300,
        hours_saved="41.5",
        cost="99.50",
        today=today,
    )
    assert not created and again.pk == report_.pk
    assert len(history(report_)) == 1  # the same figures again: nothing written
    svc.usage_report_upsert(use_case=use_case, actor=owner, period="2026-10", active_users=25, today=today)
    assert UsageReport.objects.get().active_users == 25
    assert [h.summary for h in history(report_)] == [
        "usage for October 2026 updated",
        "usage reported for October 2026",
    ]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"period": "2026-13"}, "period"),
        ({"period": "October"}, "period"),
        ({"period": "2026-12"}, "period"),  # not started yet
        ({"period": "2026-10", "active_users": -1}, "active_users"),
        ({"period": "2026-10", "runs": "1.5"}, "runs"),
        ({"period": "2026-10", "cost": "lots"}, "cost"),
    ],
)
def test_bad_usage_is_refused(values, field):
    team = TeamFactory()
    owner = person("builder", team=team)
    use_case = UseCaseFactory(team=team, owner=owner)
    with pytest.raises(ValidationError) as error:
        svc.usage_report_upsert(use_case=use_case, actor=owner, today=dt.date(2026, 11, 22), **values)
    assert field in error.value.message_dict
    assert not UsageReport.objects.exists()


def test_only_those_who_may_change_the_use_case_report_usage():
    use_case = UseCaseFactory()
    for outsider in (person("staff"), person("library curator"), person("builder", team=TeamFactory())):
        with pytest.raises(PermissionDenied):
            svc.usage_report_upsert(use_case=use_case, actor=outsider, period="2026-10")
    lead = person("builder", team=use_case.team, role=MembershipRole.LEAD)
    assert svc.usage_report_upsert(use_case=use_case, actor=lead, period="2026-10")[1]


def test_the_latest_report_drives_the_usage_criterion(curator):
    use_case = graduate(users=40)
    report(use_case, dt.date(2026, 10, 1), users=2, hours="3")
    with pytest.raises(svc.PromotionRefused) as refused:
        svc.library_promote(use_case=use_case, actor=curator, **ENTRY)
    assert [c.key for c in refused.value.unmet] == ["usage"]
    assert refused.value.reasons[0].startswith("Latest usage report (October 2026): 2 active users")


# --- foundation documents ---------------------------------------------------------------------------


def test_publishing_a_version_flags_the_stale_uses_and_emails_their_owners_once(curator):
    from registry.models import FoundationDocument

    document = FoundationDocument.objects.create(name="Brand voice", current_version="2026.1", owner=curator)
    bea = person("builder", email="bea@example.com")
    lee = person("builder", email="lee@example.com")
    stale_1 = UseCaseFactory(name="Blog workflow", owner=bea, backup_owner=lee)
    stale_2 = UseCaseFactory(name="Social drafter", owner=bea)
    current = UseCaseFactory(name="Newsletter", owner=lee)
    retired = UseCaseFactory(name="Old one", owner=lee, lifecycle_stage=LifecycleStage.RETIRED)
    for uc in (stale_1, stale_2, retired):
        FoundationDocumentUse.objects.create(use_case=uc, document=document, version="2026.1")
    FoundationDocumentUse.objects.create(use_case=current, document=document, version="2026.2")

    with pytest.raises(PermissionDenied):
        svc.foundation_version_publish(document=document, actor=bea, version="2026.2")
    version = svc.foundation_version_publish(
        document=document, actor=curator, version="2026.2", notes="New tone."
    )
    document.refresh_from_db()
    assert document.current_version == "2026.2" and version.published_by == curator
    assert FoundationDocumentUse.objects.get(use_case=stale_1).is_outdated
    assert not FoundationDocumentUse.objects.get(use_case=current).is_outdated

    emails = {n.to_email: n for n in Notification.objects.all()}
    assert set(emails) == {"bea@example.com", "lee@example.com"}
    assert (
        "Blog workflow" in emails["bea@example.com"].body
        and "Social drafter" in emails["bea@example.com"].body
    )
    assert (
        "Newsletter" not in emails["lee@example.com"].body and "Old one" not in emails["lee@example.com"].body
    )
    assert emails["bea@example.com"].subject == "New version of Brand voice: 2026.2"
    assert HistoryEntry.objects.filter(object_id=document.pk, summary="version 2026.2 published").exists()

    with pytest.raises(ValidationError):
        svc.foundation_version_publish(document=document, actor=curator, version="2026.2")
    assert FoundationDocumentVersion.objects.count() == 1


def test_permission_comes_before_the_secret_guard_and_refusals_are_counted(curator):
    entry = svc.library_promote(use_case=graduate(), actor=curator, **ENTRY)
    secret = "the token is ghp_4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e"
    with pytest.raises(PermissionDenied):
        svc.library_deprecate(entry=entry, actor=person("staff"), reason=secret)
    assert not SecretRefusal.objects.exists()
    with pytest.raises(SecretValueError):
        svc.library_deprecate(entry=entry, actor=curator, reason=secret)
    assert SecretRefusal.objects.filter(field="reason").count() == 1  # kept: counted outside the write
    entry.refresh_from_db()
    assert entry.status == "listed"
