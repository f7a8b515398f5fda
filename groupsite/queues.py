"""Which Celery queue each task goes to, so that a long digest run never holds up mail someone is waiting for.

Three queues, each with its own workers in production (README, Production):

- `email`: urgent mail only, each message one short task: address confirmation, password reset, invitations,
  notification emails. A worker on it is never busy with anything slow, so such mail leaves within seconds.
- `digest`: the digest run, fan-out and per-batch composition, and the digests' own emails. A 100,000-member run
  queues 100,000 emails at once (a `deliver_emails` task for each batch's); on `email` a sign-up's confirmation
  would wait behind all of them, so the digest delivers its own mail (`groupsite.mail.mark_bulk`). It finishes when its workers get through it; nothing
  else waits for it.
- `default`: everything else: beat's ticks, the outbox drain, notifications (rows in the site), reminders.
  Fanning a post out to a big group's members can take seconds, which is why it is not on `email`.

`CELERY_QUEUE`, when set, names one queue for every task instead (a test's or a benchmark's own worker): the routes
apply only while the default queue is the standard one. `CELERY_QUEUE_SUFFIX` gives a test or a benchmark its own
set of split queues ("email-test1" and so on).
"""

from django.conf import settings

DEFAULT, EMAIL, DIGEST = "default", "email", "digest"
QUEUES = (DEFAULT, EMAIL, DIGEST)
# The command-line options of a test's or a benchmark's own worker, alone on its queues: it need not ask other
# workers for their state as it starts (mingle waits a second for answers), nor tell them of itself.
LONE_WORKER_OPTIONS = ("--without-gossip", "--without-mingle", "--without-heartbeat")

ROUTES = {
    "groupsite.tasks.deliver_email": EMAIL,  # or DIGEST for bulk mail: see queue_for
    "groupsite.tasks.deliver_emails": EMAIL,  # or DIGEST for bulk mail: see queue_for
    "discussions.tasks.enqueue_due_digests": DIGEST,
    "discussions.tasks.send_digest_batch": DIGEST,
}


def queue_name(queue: str) -> str:
    """The broker's name for one of QUEUES, with this run's suffix."""
    return queue + settings.CELERY_QUEUE_SUFFIX


def queue_for(task_name: str, args=()) -> str:
    """One of QUEUES for a task and its arguments."""
    if task_name == "groupsite.tasks.deliver_email" and args and isinstance(args[0], dict) and args[0].get("bulk"):
        return DIGEST
    if task_name == "groupsite.tasks.deliver_emails" and len(args) > 1 and args[1] is True:
        return DIGEST
    return ROUTES.get(task_name, DEFAULT)


def route(name, args, kwargs, options, task=None, **kw):
    """CELERY_TASK_ROUTES: Celery asks this for every task sent, beat's included."""
    from groupsite.celery import app

    if app.conf.task_default_queue != queue_name(DEFAULT):
        return None  # one queue for every task (CELERY_QUEUE): the default queue
    return {"queue": queue_name(queue_for(name, args or ()))}
