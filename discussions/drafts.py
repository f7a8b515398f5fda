"""Text typed while logged out survives the login it leads to (issue 9, item 2).

A reply or new thread sent by someone whose session has ended (logged out in another tab, or it expired) goes to
the login page. The view keeps what they typed in their session first, keyed by where it was going; once they are
back, the reply box (or the new-thread form) is filled from it, once. Nothing is posted on their behalf: they read it
again and send it themselves. The session is the anonymous one the login carries over, and only the form's own
fields are kept, each cut to the longest post, for at most a few places at a time.
"""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login

SESSION_KEY = "unsent_drafts"
MAX_DRAFTS = 5
REPLY_FIELDS = ("body", "role", "source_url", "evidence_as_of", "quote")
THREAD_FIELDS = ("title", "body", "role", "source_url", "evidence_as_of")


def reply_key(thread_pk: int) -> str:
    return f"reply:{thread_pk}"


def thread_key(group_slug: str, topic_slug: str) -> str:
    return f"thread:{group_slug}/{topic_slug}"


def keep_through_login(request, key: str, fields):
    """The session ended while they typed: keep what a POST holds under `key`, and send them to log in, coming back
    to this address after (a GET of the reply address leads to the thread's reply box)."""
    if request.method == "POST":
        keep(request.session, key, request.POST, fields)
    return redirect_to_login(request.get_full_path())


def keep(session, key: str, data, fields) -> None:
    """Remember the named fields of `data` (a POST) under `key`, replacing what was kept there before."""
    drafts = dict(session.get(SESSION_KEY) or {})
    drafts.pop(key, None)
    draft = {name: str(data.get(name, ""))[: settings.POST_BODY_MAX_LENGTH] for name in fields}
    if not any(draft.values()):
        return
    drafts[key] = {name: value for name, value in draft.items() if value}
    while len(drafts) > MAX_DRAFTS:  # the oldest goes first
        drafts.pop(next(iter(drafts)))
    session[SESSION_KEY] = drafts


def take(session, key: str) -> dict | None:
    """The draft kept under `key`, forgotten as it is handed back; None if there is none."""
    drafts = dict(session.get(SESSION_KEY) or {})
    draft = drafts.pop(key, None)
    if draft is not None:
        session[SESSION_KEY] = drafts
    return draft
