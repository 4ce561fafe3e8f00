"""Background tasks (Django's tasks API) for the digests."""

from __future__ import annotations

import logging

from django_tasks import task

from dailypapers.sources.schedule import DIGESTS
from dailypapers.sources.tasks import outcome

from .compose import compose_due, prune_history
from .notices import compose_notices
from .sender import send_pending

log = logging.getLogger(__name__)


@task()
def send_outbox() -> int:
    """Send every due outbox row; returns how many were sent."""
    return send_pending().sent


@task()
def digests_due() -> int:
    """The digests' scheduled round: compose every digest that is due and every reply mail
    that has waited long enough, then send the outbox; returns how many were sent."""
    with outcome(DIGESTS):
        report = compose_due()
        notices = compose_notices()
        pruned = prune_history()
        sent = send_pending()
        log.info(
            "digests: %d composed, %d reply mails, %d sent, %d to retry, %d failed; "
            "%d old sent-paper rows pruned",
            report.composed,
            notices,
            sent.sent,
            sent.retried,
            sent.failed,
            pruned,
        )
        return sent.sent
