"""Every email the site sends about discussions is made by `build_email`: three templates, one set of headers.

Each message is multipart (plain text and HTML with inline styles), names the group in its subject, says in
its footer why it was sent, and carries RFC 8058 one-click unsubscribe headers whose signed link needs no login:
`List-Unsubscribe` holds one https URL (settings refuse an http SITE_URL in production), and a bare POST of
"List-Unsubscribe=One-Click" to it, with no cookie or CSRF token, unsubscribes (discussions.views_email). RFC 8058
also asks for a DKIM signature covering both headers: that is the outgoing mail server's job.
"""

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy as _

from groupsite import languages
from groupsite.models import NotificationKind

UNSUBSCRIBE_SALT = "roundtable.unsubscribe"
DIGEST_SCOPE = "digest"

# What an unsubscribe link stops, as its confirmation page says it ("Stop emails about …").
KIND_PHRASES = {
    NotificationKind.REPLY: _("replies in threads you watch"),
    NotificationKind.QUOTE: _("quotes of your posts"),
    NotificationKind.MENTION: _("@mentions of you"),
    NotificationKind.PROMPT: _("new prompts in your groups"),
    NotificationKind.NEW_THREAD: _("new threads in topics you watch"),
    NotificationKind.JOIN_APPROVED: _("approved join requests"),
    NotificationKind.REMINDER: _("reminders before a prompt closes"),
    NotificationKind.WARNING: _("warnings from a group's moderators"),
}


def kinds_scope(kinds) -> str:
    """The scope of an email about several kinds of notification: its unsubscribe link stops all of them."""
    return ",".join(sorted(set(kinds)))


def scope_kinds(scope: str) -> list[str]:
    """The notification kinds a scope names ("mention,reply"), [] for the digest; ValueError for anything else."""
    if scope == DIGEST_SCOPE:
        return []
    kinds = scope.split(",")
    if not scope or any(kind not in NotificationKind.values for kind in kinds):
        raise ValueError(f"{scope!r} is not an unsubscribe scope")
    return kinds


def describe_scope(scope: str) -> str:
    """What unsubscribing stops, in words: "your digest emails", "emails about @mentions of you and quotes …"."""
    kinds = scope_kinds(scope)
    if not kinds:
        return gettext("your digest emails")
    phrases = [KIND_PHRASES[NotificationKind(kind)] for kind in kinds]
    return gettext("emails about %(kinds)s") % {"kinds": languages.join_words(phrases)}


def unsubscribe_token(user, scope: str) -> str:
    """A signed, tamper-proof token naming the member and what to stop (the digest or one kind of email).

    It has no expiry on purpose: links in old emails must keep working.
    """
    return signing.dumps({"u": user.pk, "s": scope}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """The (user id, scope) a token names; raises signing.BadSignature if it was forged or altered."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("s"), str):
        raise signing.BadSignature("malformed unsubscribe token")
    return data["u"], data["s"]


def unsubscribe_url(user, scope: str) -> str:
    return settings.SITE_URL + reverse("discussions:unsubscribe", args=[unsubscribe_token(user, scope)])


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def render_plain_text(template_name: str, context: dict) -> str:
    """A plain-text template (an email body or subject, written with autoescaping off) rendered as a plain `str`.

    render_to_string returns a SafeString, and this text holds what members typed, unescaped: were it to reach a
    page or an HTML email as is, a display name like `<img src=x onerror=...>` would run. As a plain `str` it is
    escaped like any other text wherever a template shows it.
    """
    return str.__str__(render_to_string(template_name, context))  # str() would return the SafeString itself


def build_email(*, template: str, user, context: dict, scope: str, list_id: str) -> EmailMultiAlternatives:
    """Render emails/<template>_subject.txt, _body.txt and _body.html for one member.

    `scope` is what the unsubscribe link stops; `list_id` names the mailing list (RFC 2919), e.g. the group.
    """
    context = {
        **context,
        "user": user,
        "site_url": settings.SITE_URL,
        "unsubscribe_url": unsubscribe_url(user, scope),
        "preferences_url": absolute(reverse("discussions:email_preferences")),
    }
    subject = " ".join(render_plain_text(f"emails/{template}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_plain_text(f"emails/{template}_body.txt", context),
        to=[user.email],
        headers={
            "List-Id": f"<{list_id}.{settings.EMAIL_LIST_DOMAIN}>",
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(render_to_string(f"emails/{template}_body.html", context), "text/html")
    return message
