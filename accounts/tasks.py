"""Background work of the accounts app. Tasks take ids (JSON only) and call services."""

import smtplib

from celery import shared_task

#: Errors worth retrying: the mail server or the network is down for a while.
RETRY_ON = (smtplib.SMTPException, ConnectionError, TimeoutError)


@shared_task(
    autoretry_for=RETRY_ON,
    retry_backoff=30,  # 30 s, 60 s, 120 s, ... with jitter
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=8,
    acks_late=True,
)
def notify_team_leads_of_offboarding(team_id: int, user_id: int, use_case_ids: list[int]) -> int:
    """Tell a team's leads which of its use cases a departed person left behind.

    Enqueued on commit by ``accounts.services.user_deactivate``, one per affected team.

    Args:
        team_id: the team whose use cases were moved or flagged.
        user_id: the person who left.
        use_case_ids: the team's use cases moved or flagged.

    Returns:
        The number of people emailed (see ``accounts.services.offboarding_notify_team``).
    """
    from .services import offboarding_notify_team

    return offboarding_notify_team(team_id=team_id, user_id=user_id, use_case_ids=list(use_case_ids))
