"""History: each service writes exactly one entry with the right diff, carrying the request
id; entries cannot be changed or deleted."""

import pytest
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, transaction
from django.test import Client

from accounts.choices import MembershipRole
from registry.models import HistoryEntry
from registry.services.history import diff, history_record
from registry.services.use_cases import use_case_reassign_owners
from tests.factories import MembershipFactory, UseCaseFactory, UserFactory


@pytest.mark.django_db
def test_retiring_on_the_page_records_one_entry_with_the_request_id():
    builder = UserFactory()
    builder.groups.add(Group.objects.get(name="builder"))
    use_case = UseCaseFactory(owner=builder, lifecycle_stage="production")
    client = Client()
    client.force_login(builder)

    response = client.post(f"/use-cases/{use_case.pk}/retire/", HTTP_X_REQUEST_ID="req-123")

    assert response["X-Request-ID"] == "req-123"
    entry = HistoryEntry.objects.get()
    assert (entry.actor, entry.action, entry.use_case_id) == (builder, "update", use_case.pk)
    assert entry.changes == {"lifecycle_stage": ["production", "retired"]}
    assert entry.request_id == "req-123"
    # Retiring again changes nothing and records nothing.
    client.post(f"/use-cases/{use_case.pk}/retire/")
    assert HistoryEntry.objects.count() == 1


@pytest.mark.django_db
def test_reassigning_owners_records_the_old_and_new_owner():
    lead, old, new = UserFactory(), UserFactory(first_name="Old", last_name="Owner"), UserFactory()
    use_case = UseCaseFactory(owner=old)
    MembershipFactory(user=lead, team=use_case.team, role=MembershipRole.LEAD)
    use_case_reassign_owners(use_case=use_case, actor=lead, owner=new, backup_owner=None)
    entry = HistoryEntry.objects.get()
    assert entry.changes == {"owner": [str(old), str(new)]}
    assert entry.request_id == ""  # not in a request


def test_diff_keeps_only_changed_fields_as_json():
    import datetime as dt

    assert diff({"a": 1, "b": dt.date(2026, 1, 2)}, {"a": 1, "b": dt.date(2026, 1, 3)}) == {
        "b": ["2026-01-02", "2026-01-03"]
    }


@pytest.mark.django_db
def test_entries_cannot_be_changed_or_deleted():
    use_case = UseCaseFactory()
    entry = history_record(actor=None, action="event", obj=use_case, summary="imported")
    assert entry.actor_label == "system"
    entry.summary = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_database_refuses_updates_and_deletes_of_history():
    entry = history_record(actor=None, action="event", obj=UseCaseFactory(), summary="imported")
    for sql in (
        "UPDATE registry_historyentry SET summary = 'x' WHERE id = %s",
        "DELETE FROM registry_historyentry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute(sql, [entry.pk])
    assert HistoryEntry.objects.get().summary == "imported"
