"""Offboarding end to end: ``user_deactivate`` moves or flags every use case a departed person
leaves behind, the team leads are emailed once the transaction commits (never when it rolls
back), the command and the admin go through the same service, and a use case without an
active, confirmed owner cannot be approved until someone accepts it."""

import io
import re
import smtplib
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.choices import MembershipRole, RoleGroup, TeamKind
from accounts.management.commands.deactivate_user import Command as DeactivateUserCommand
from accounts.models import User
from accounts.services import user_deactivate
from accounts.tasks import notify_team_leads_of_offboarding
from registry.choices import LifecycleStage, ReviewState, ReviewStatus, RiskTier
from registry.exceptions import ApprovalBlocked, TransitionNotAllowed
from registry.models import HistoryEntry, UseCase
from registry.services.ownership import use_case_accept_ownership
from registry.services.reviews import review_approve
from tests.factories import MembershipFactory, SecurityReviewFactory, TeamFactory, UseCaseFactory, UserFactory

pytestmark = pytest.mark.django_db


def person(username, *, team=None, lead=False, group=RoleGroup.BUILDER, **fields):
    """A person in ``team`` (as its lead when ``lead``) holding the role ``group``."""
    user = UserFactory(username=username, **fields)
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    if team is not None:
        MembershipFactory(user=user, team=team, role=MembershipRole.LEAD if lead else MembershipRole.MEMBER)
    return user


class World:
    """Two teams of one organisation; ``bea`` leaves. Marketing is led by ``lee``, Sales by ``sam``."""

    def __init__(self):
        self.acme = TeamFactory(name="Acme", slug="acme", kind=TeamKind.ORGANISATION)
        self.marketing = TeamFactory(name="Marketing", slug="marketing", parent=self.acme)
        self.sales = TeamFactory(name="Sales", slug="sales", parent=self.acme)
        self.admin = UserFactory(username="root", is_staff=True, is_superuser=True, email="root@example.com")
        self.bea = person("bea", team=self.marketing, first_name="Bea", last_name="Builder")
        self.lee = person("lee", team=self.marketing, lead=True, first_name="Lee", last_name="Lead")
        self.sam = person("sam", team=self.sales, lead=True, first_name="Sam", last_name="Sales")
        self.pat = person("pat", team=self.marketing, first_name="Pat", last_name="Peer")
        self.sid = person("sid", team=self.sales, first_name="Sid", last_name="Seller")
        uc = UseCaseFactory
        # Owner Bea, backup Lee: Lee becomes the owner.
        self.gpt = uc(name="Competitive GPT", team=self.marketing, owner=self.bea, backup_owner=self.lee)
        # Owner Bea, no backup, Bea its only builder: stays, flagged for both.
        self.content = uc(name="Content workflow", team=self.marketing, owner=self.bea)
        self.content.builders.add(self.bea)
        # Bea the backup owner and the only builder: backup cleared, flagged.
        self.campaign = uc(
            name="Campaign workflow", team=self.marketing, owner=self.lee, backup_owner=self.bea
        )
        self.campaign.builders.add(self.bea)
        # Bea one builder of two: untouched.
        self.prospecting = uc(name="Prospecting agent", team=self.sales, owner=self.sam)
        self.prospecting.builders.add(self.bea, self.sam)
        # Another team's use case owned by Bea, backup Sid: Sid becomes the owner.
        self.forecast = uc(name="Forecast helper", team=self.sales, owner=self.bea, backup_owner=self.sid)
        # Retired: left alone.
        self.old = uc(
            name="Old bot", team=self.marketing, owner=self.bea, lifecycle_stage=LifecycleStage.RETIRED
        )
        # Nothing to do with Bea.
        self.unrelated = uc(name="Unrelated", team=self.marketing, owner=self.pat)

    def reload(self):
        for name in ("gpt", "content", "campaign", "prospecting", "forecast", "old", "unrelated"):
            getattr(self, name).refresh_from_db()


@pytest.fixture
def world():
    return World()


def test_deactivating_moves_backups_up_and_flags_the_rest(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = user_deactivate(user=world.bea, actor=world.admin)
    world.reload()
    world.bea.refresh_from_db()
    today = timezone.localdate().isoformat()

    assert world.bea.is_active is False
    assert set(result.moved_ids) == {world.gpt.pk, world.forecast.pk}
    assert set(result.flagged_ids) == {world.gpt.pk, world.content.pk, world.campaign.pk, world.forecast.pk}
    assert (result.moved, result.flagged) == (2, 4)

    assert (world.gpt.owner, world.gpt.backup_owner) == (world.lee, None)
    assert world.gpt.ownership_note == (
        f"Owner Bea Builder left on {today}; backup owner Lee Lead is now the owner: confirm or reassign."
    )
    assert (world.content.owner, world.content.backup_owner) == (world.bea, None)
    assert world.content.ownership_note == (
        f"Owner Bea Builder left on {today} and there is no backup owner. "
        f"Its only builder, Bea Builder, left on {today}."
    )
    assert (world.campaign.owner, world.campaign.backup_owner) == (world.lee, None)
    assert world.campaign.ownership_note == (
        f"Backup owner Bea Builder left on {today}: name a new backup owner. "
        f"Its only builder, Bea Builder, left on {today}."
    )
    assert (world.forecast.owner, world.forecast.backup_owner) == (world.sid, None)
    for flagged in (world.gpt, world.content, world.campaign, world.forecast):
        assert flagged.ownership_flagged_at is not None
    for untouched in (world.prospecting, world.old, world.unrelated):
        assert untouched.ownership_note == ""
        assert untouched.ownership_flagged_at is None
    assert world.old.owner == world.bea  # retired: left as it was
    assert list(world.prospecting.builders.order_by("username")) == [world.bea, world.sam]

    # Recorded in the history: the person's departure, and each use case's change.
    entries = HistoryEntry.objects.filter(actor=world.admin)
    assert entries.get(action=HistoryEntry.Action.EVENT).summary == "offboarded: moved 2, flagged 4"
    gpt_entry = entries.get(use_case=world.gpt)
    assert gpt_entry.summary == "ownership flagged: Bea Builder left"
    assert gpt_entry.changes["owner"] == ["Bea Builder", "Lee Lead"]
    assert set(entries.exclude(use_case=None).values_list("use_case_id", flat=True)) == set(
        result.flagged_ids
    )


def test_each_teams_leads_get_one_email_after_commit(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = user_deactivate(user=world.bea, actor=world.admin)
        # Enqueued on commit, not before: nothing sent while the transaction is open.
        assert mail.outbox == []
    assert len(callbacks) == 2  # one task per affected team
    assert mail.outbox == []
    for callback in callbacks:
        callback()  # what the commit does

    by_recipient = {tuple(message.to): message for message in mail.outbox}
    assert set(by_recipient) == {(world.lee.email,), (world.sam.email,)}
    marketing = by_recipient[(world.lee.email,)]
    assert marketing.subject == "[AI registry] Bea Builder has left: 3 use cases of Marketing need attention"
    for name in ("Competitive GPT", "Content workflow", "Campaign workflow"):
        assert name in marketing.body
    for name in ("Forecast helper", "Prospecting agent", "Old bot", "Unrelated"):
        assert name not in marketing.body
    assert "http://localhost:8000/ownership-gaps/?team=marketing" in marketing.body
    assert f"http://localhost:8000/use-cases/{world.gpt.pk}/" in marketing.body
    assert "because you lead Marketing" in marketing.body
    sales = by_recipient[(world.sam.email,)]
    assert "Forecast helper" in sales.body and "Competitive GPT" not in sales.body
    assert sales.subject.endswith("1 use case of Sales needs attention")
    assert result.notified == 2
    assert result.summary() == "moved 2, flagged 4, leads notified 2"


def test_nothing_is_enqueued_when_the_transaction_rolls_back(world, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        user_deactivate(user=world.bea, actor=world.admin)
        raise RuntimeError("something after it failed")
    assert callbacks == []
    assert mail.outbox == []
    world.bea.refresh_from_db()
    world.reload()
    assert world.bea.is_active is True
    assert world.gpt.owner == world.bea and world.gpt.ownership_note == ""


def test_a_second_run_flags_and_sends_nothing_more(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user_deactivate(user=world.bea, actor=world.admin)
    world.reload()
    notes = {uc.pk: (uc.ownership_note, uc.ownership_flagged_at) for uc in UseCase.objects.all()}
    sent = len(mail.outbox)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = user_deactivate(user=world.bea, actor=world.admin)

    assert again.already_inactive is True
    assert (again.moved, again.flagged, again.notified) == (0, 0, 0)
    assert callbacks == []
    assert len(mail.outbox) == sent
    assert {uc.pk: (uc.ownership_note, uc.ownership_flagged_at) for uc in UseCase.objects.all()} == notes


def test_only_admins_offboard(world):
    with pytest.raises(PermissionDenied):
        user_deactivate(user=world.bea, actor=world.lee)
    world.bea.refresh_from_db()
    assert world.bea.is_active is True


def test_no_lead_falls_back_to_the_parent_teams_leads_then_the_admins(
    world, django_capture_on_commit_callbacks
):
    MembershipFactory(user=person("ada", group=None), team=world.acme, role=MembershipRole.LEAD)
    world.lee.memberships.update(role=MembershipRole.MEMBER)  # Marketing now has no lead
    with django_capture_on_commit_callbacks(execute=True):
        user_deactivate(user=world.bea, actor=world.admin)
    marketing = next(m for m in mail.outbox if "Marketing" in m.subject)
    assert marketing.to == ["ada@example.com"]
    assert "Marketing has no lead and you lead Acme" in marketing.body

    mail.outbox.clear()
    lonely = TeamFactory(name="Lonely")
    leaver = person("leo", team=lonely)
    UseCaseFactory(name="Orphan", team=lonely, owner=leaver)
    with django_capture_on_commit_callbacks(execute=True):
        user_deactivate(user=leaver, actor=world.admin)
    assert [m.to for m in mail.outbox] == [["root@example.com"]]
    assert "Lonely has no lead and you are a registry admin" in mail.outbox[0].body


class FlakyBackend(LocmemBackend):
    """The mail server drops the first ``fail`` connections, then works."""

    fail = 1
    failures = 0

    def send_messages(self, messages):
        if FlakyBackend.failures < FlakyBackend.fail:
            FlakyBackend.failures += 1
            raise smtplib.SMTPServerDisconnected("connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def flaky_mail(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    FlakyBackend.fail, FlakyBackend.failures = 1, 0
    return FlakyBackend


def test_the_notice_task_retries_when_the_mail_server_fails(world, flaky_mail):
    team = TeamFactory(name="Solo")
    lead = person("lou", team=team, lead=True)
    leaver = person("liv", team=team, is_active=False)
    use_case = UseCaseFactory(name="Solo tool", team=team, owner=leaver)

    # As a worker runs it (eager mode re-runs a retry at once instead of after the backoff).
    result = notify_team_leads_of_offboarding.apply(args=[team.pk, leaver.pk, [use_case.pk]], throw=False)

    assert result.get() == 1
    assert flaky_mail.failures == 1
    assert [m.to for m in mail.outbox] == [[lead.email]]


def test_a_failed_notice_never_undoes_the_offboarding(world, flaky_mail, django_capture_on_commit_callbacks):
    flaky_mail.fail = 100  # the mail server stays down
    with django_capture_on_commit_callbacks(execute=True):
        result = user_deactivate(user=world.bea, actor=world.admin)
    assert mail.outbox == []
    world.bea.refresh_from_db()
    world.reload()
    assert world.bea.is_active is False
    assert result.flagged == 4 and world.content.ownership_note  # still on the gaps page


# --- the command -----------------------------------------------------------------------


def test_command_prints_one_summary_line(world, django_capture_on_commit_callbacks):
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("deactivate_user", "bea", stdout=out)
    assert out.getvalue().splitlines() == ["bea: moved 2, flagged 4, leads notified 2"]
    assert not User.objects.get(username="bea").is_active
    assert len(mail.outbox) == 2

    out = io.StringIO()
    call_command("deactivate_user", "bea", stdout=out)
    assert out.getvalue().splitlines() == ["bea: already inactive: nothing changed, nobody notified"]


def test_command_exits_2_with_one_line_for_an_unknown_username(db, capsys):
    with pytest.raises(CommandError) as excinfo:
        call_command("deactivate_user", "nobody")
    assert excinfo.value.returncode == 2

    # As run from the shell: exit status 2 and one line on stderr.
    with pytest.raises(SystemExit) as exit_info:
        DeactivateUserCommand().run_from_argv(["manage.py", "deactivate_user", "nobody"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "CommandError: No person has the username “nobody”."
    ]


# --- the admin -------------------------------------------------------------------------


def _change_form_data(user, **changes):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "title": user.title,
        "phone": user.phone,
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    if user.is_active:
        data["is_active"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_unticking_active_in_the_admin_offboards(world, client, django_capture_on_commit_callbacks):
    client.force_login(world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:accounts_user_change", args=[world.bea.pk]),
            _change_form_data(world.bea, is_active=None),
            follow=True,
        )
    assert response.status_code == 200
    assert "Bea Builder is offboarded: moved 2, flagged 4, leads notified 2." in response.content.decode()
    world.reload()
    assert world.gpt.owner == world.lee and world.gpt.ownership_note
    assert sorted(tuple(m.to) for m in mail.outbox) == [(world.lee.email,), (world.sam.email,)]


def test_saving_an_inactive_person_again_in_the_admin_changes_nothing(
    world, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        user_deactivate(user=world.bea, actor=world.admin)
    world.bea.refresh_from_db()
    sent = len(mail.outbox)
    client.force_login(world.admin)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            reverse("admin:accounts_user_change", args=[world.bea.pk]),
            _change_form_data(world.bea, title="Former marketer"),
        )
    assert response.status_code == 302
    assert callbacks == [] and len(mail.outbox) == sent


def test_admin_action_offboards_the_selected_people(world, client, django_capture_on_commit_callbacks):
    client.force_login(world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:accounts_user_changelist"),
            {"action": "offboard", "_selected_action": [world.bea.pk, world.pat.pk]},
            follow=True,
        )
    html = response.content.decode()
    assert "2 people offboarded: moved 2, flagged 5, leads notified 2." in html
    assert not User.objects.filter(pk__in=[world.bea.pk, world.pat.pk], is_active=True).exists()
    world.reload()
    assert world.unrelated.ownership_note.startswith("Owner Pat Peer left on")


def test_staff_who_are_not_admins_cannot_offboard_in_the_admin(world, client):
    from django.contrib.auth.models import Permission

    operator = UserFactory(username="op", is_staff=True)
    operator.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    client.force_login(operator)

    page = client.get(reverse("admin:accounts_user_changelist"))
    assert page.status_code == 200
    assert 'value="offboard"' not in page.content.decode()
    client.post(
        reverse("admin:accounts_user_change", args=[world.bea.pk]),
        _change_form_data(world.bea, is_active=None),
    )
    world.bea.refresh_from_db()
    assert world.bea.is_active is True  # "active" is read-only for them


# --- the approval block and accepting ownership ----------------------------------------


@pytest.fixture
def reviewer():
    return person("rey", group=RoleGroup.SECURITY_REVIEWER)


def test_approval_is_refused_while_the_owner_has_left_until_someone_accepts(world, reviewer):
    review = SecurityReviewFactory(use_case=world.content, state=ReviewState.IN_REVIEW)
    user_deactivate(user=world.bea, actor=world.admin)

    with pytest.raises(ApprovalBlocked) as blocked:
        review_approve(review=review, actor=reviewer)
    assert blocked.value.reasons[0] == "its owner Bea Builder has left"
    review.refresh_from_db()
    assert review.state == ReviewState.IN_REVIEW and review.decided_at is None

    use_case_accept_ownership(use_case=world.content, actor=world.pat)
    world.content.refresh_from_db()
    assert world.content.owner == world.pat
    assert (world.content.ownership_note, world.content.ownership_flagged_at) == ("", None)

    assert HistoryEntry.objects.get(use_case=world.content, actor=world.pat).summary == "ownership accepted"

    approved = review_approve(review=review, actor=reviewer, findings="Fine.", conditions=["internal only"])
    entry = HistoryEntry.objects.get(actor=reviewer, action=HistoryEntry.Action.TRANSITION)
    assert (entry.use_case_id, entry.summary) == (world.content.pk, "approved with 1 condition(s)")
    assert entry.changes["state"] == [ReviewState.IN_REVIEW, ReviewState.APPROVED]
    assert approved.state == ReviewState.APPROVED
    assert approved.reviewer == reviewer
    assert (approved.findings, approved.conditions) == ("Fine.", ["internal only"])
    assert approved.expires_at - approved.decided_at == timedelta(days=730)  # a low-risk use case
    world.content.refresh_from_db()
    assert world.content.review_status == ReviewStatus.APPROVED


def test_a_moved_backup_must_confirm_before_approval(world, reviewer):
    review = SecurityReviewFactory(use_case=world.gpt)
    user_deactivate(user=world.bea, actor=world.admin)
    with pytest.raises(ApprovalBlocked, match="ownership needs attention"):
        review_approve(review=review, actor=reviewer)
    use_case_accept_ownership(use_case=world.gpt, actor=world.lee)  # Lee confirms
    world.gpt.refresh_from_db()
    assert world.gpt.owner == world.lee and world.gpt.ownership_note == ""
    assert review_approve(review=review, actor=reviewer).state == ReviewState.APPROVED


def test_approval_is_refused_for_an_imported_use_case_with_only_a_mailbox(world, reviewer):
    imported = UseCaseFactory(
        team=world.marketing, owner=None, contact_email="ai@agency.example.gov", risk_tier=RiskTier.HIGH
    )
    review = SecurityReviewFactory(use_case=imported)
    with pytest.raises(ApprovalBlocked) as blocked:
        review_approve(review=review, actor=reviewer)
    assert blocked.value.reasons == ["it has no named owner"]

    use_case_accept_ownership(use_case=imported, actor=world.lee)
    approved = review_approve(review=review, actor=reviewer)
    assert approved.expires_at - approved.decided_at == timedelta(days=180)  # high risk


def test_review_approve_checks_the_role_and_the_transition(world, reviewer):
    review = SecurityReviewFactory(use_case=world.unrelated)
    with pytest.raises(PermissionDenied):
        review_approve(review=review, actor=world.lee)
    review_approve(review=review, actor=reviewer)
    with pytest.raises(TransitionNotAllowed) as not_allowed:
        review_approve(review=review, actor=reviewer)
    assert not_allowed.value.state == ReviewState.APPROVED


@pytest.mark.parametrize(
    "who,allowed",
    [
        ("pat", True),  # a builder of the owning team
        ("lee", True),  # its lead
        ("root", True),  # an admin
        ("sid", False),  # a builder of another team
        ("sam", False),  # the lead of another team
        ("stu", False),  # a member of the team without the builder role (staff)
        ("rey", False),  # a security reviewer
    ],
)
def test_who_may_accept_ownership(world, reviewer, who, allowed):
    MembershipFactory(user=person("stu", group=RoleGroup.STAFF), team=world.marketing)
    user_deactivate(user=world.bea, actor=world.admin)
    actor = User.objects.get(username=who)
    if allowed:
        use_case_accept_ownership(use_case=world.content, actor=actor)
        world.content.refresh_from_db()
        assert world.content.owner == actor
    else:
        with pytest.raises(PermissionDenied):
            use_case_accept_ownership(use_case=world.content, actor=actor)
        world.content.refresh_from_db()
        assert world.content.owner == world.bea and world.content.ownership_note


def test_nobody_takes_over_a_use_case_with_another_active_owner(world):
    # The GPT's new owner (Lee) is active: Pat, a builder of the team, cannot take it over.
    user_deactivate(user=world.bea, actor=world.admin)
    with pytest.raises(PermissionDenied):
        use_case_accept_ownership(use_case=world.gpt, actor=world.pat)
    world.gpt.refresh_from_db()
    assert world.gpt.owner == world.lee


def test_accept_ownership_page(world, client):
    user_deactivate(user=world.bea, actor=world.admin)
    url = reverse("registry:use_case_accept_ownership", args=[world.content.pk])

    client.force_login(world.sid)  # a builder of another team: 404, nothing changes
    assert client.post(url).status_code == 404
    world.content.refresh_from_db()
    assert world.content.owner == world.bea
    assert client.get(url).status_code == 405

    client.force_login(world.pat)
    detail = client.get(world.content.get_absolute_url()).content.decode()
    assert f'action="{url}"' in detail and "Accept ownership" in detail
    response = client.post(url, {"next": reverse("registry:ownership_gaps")})
    assert response.status_code == 302 and response["Location"] == reverse("registry:ownership_gaps")
    world.content.refresh_from_db()
    assert world.content.owner == world.pat and world.content.ownership_note == ""

    # An off-site "next" is ignored.
    client.force_login(world.lee)
    response = client.post(
        reverse("registry:use_case_accept_ownership", args=[world.gpt.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == world.gpt.get_absolute_url()


# --- the demo --------------------------------------------------------------------------


def test_deactivating_builder_in_the_demo(django_capture_on_commit_callbacks):
    from registry.demo import demo_seed

    demo_seed(password="demo-pass-for-tests", import_inventories=False)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("deactivate_user", "builder", stdout=out)
    # The summary counts every demo tool builder owned, backed up or solely built (the demo
    # grows); what matters is checked tool by tool below.
    summary = out.getvalue().strip()
    assert re.fullmatch(r"builder: moved \d+, flagged \d+, leads notified \d+", summary), summary

    gpt = UseCase.objects.get(name="Competitive intelligence GPT")
    content = UseCase.objects.get(name="Blog content workflow")
    campaign = UseCase.objects.get(name="Campaign email workflow")
    prospecting = UseCase.objects.get(name="Prospecting agent")
    assert (
        gpt.owner.username == "lead"
        and gpt.backup_owner is None
        and "confirm or reassign" in gpt.ownership_note
    )
    assert content.owner.username == "builder" and "no backup owner" in content.ownership_note
    assert campaign.backup_owner is None and "Backup owner Bea Builder left" in campaign.ownership_note
    assert prospecting.ownership_note == ""
    # One email per affected team (Marketing, Sales), each to its lead.
    assert {tuple(m.to) for m in mail.outbox} == {("lead@acme.example",)}
    bodies = "\n".join(m.body for m in mail.outbox)
    for name in (gpt.name, content.name, campaign.name):
        assert name in bodies

    # The approved GPT's next approval waits until the lead confirms.
    lead = User.objects.get(username="lead")
    use_case_accept_ownership(use_case=gpt, actor=lead)
    gpt.refresh_from_db()
    assert gpt.ownership_note == ""
