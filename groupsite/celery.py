import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "groupsite.settings")

app = Celery("groupsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def send_pending_outbox_on_start(sender, **kwargs):
    """A worker that starts can reach the broker: what waited in the outbox while it was down goes out now."""
    from groupsite.tasks import send_pending_outbox

    send_pending_outbox.delay()
