"""Confirming an email address: telling people where they stand (issue 9, item 6).

allauth sends the links and confirms them; this module adds what its pages cannot tell on their own. A link opened
again after it worked points at an address that is already confirmed (allauth only finds unconfirmed ones, so it
would call the link "expired or invalid"), and someone who logs in before confirming is told that is why, with a
button to have the link sent again. The address waiting for confirmation is remembered in the session at that
moment, after the password was checked, so the resend button reveals nothing about other people's accounts.
"""

from allauth.account import app_settings
from allauth.account.internal.flows.email_verification import send_verification_email_to_address
from allauth.account.models import EmailAddress
from django.core import signing

PENDING_SESSION_KEY = "unconfirmed_email"


def remember_pending(session, user, *, at_login: bool) -> None:
    """Note which of `user`'s addresses waits for confirmation, and whether a login attempt is what found it."""
    address = EmailAddress.objects.filter(user=user, verified=False).order_by("-primary").first()
    if address is None:
        session.pop(PENDING_SESSION_KEY, None)
        return
    session[PENDING_SESSION_KEY] = {"email": address.email, "at_login": at_login}


def pending(session) -> dict | None:
    """{"email": ..., "at_login": bool} for the address this browser was told to confirm, or None."""
    return session.get(PENDING_SESSION_KEY)


def forget_pending(session, email: str) -> None:
    """The address is confirmed: the "you cannot log in yet" page has nothing left to say about it."""
    remembered = pending(session)
    if remembered is not None and remembered["email"].lower() == email.lower():
        del session[PENDING_SESSION_KEY]


def already_confirmed(key: str) -> EmailAddress | None:
    """The address a genuine confirmation link names, if that address is confirmed by now (else None).

    Reads allauth's signed key (ACCOUNT_EMAIL_CONFIRMATION_HMAC, its default) without its age limit: however old the
    link, a confirmed address is confirmed.
    """
    try:
        pk = signing.loads(key, salt=app_settings.SALT)
    except signing.BadSignature:
        return None
    return EmailAddress.objects.filter(pk=pk, verified=True).first()


def resend(request) -> str:
    """Send the remembered address a new confirmation link. Returns "sent", "waiting" (one went out a moment
    ago: allauth's confirm_email rate limit), "confirmed" (nothing left to do) or "unknown" (nothing remembered)."""
    remembered = pending(request.session)
    if remembered is None:
        return "unknown"
    address = EmailAddress.objects.filter(email__iexact=remembered["email"]).order_by("verified").first()
    if address is None:
        return "unknown"
    if address.verified:
        return "confirmed"
    return "sent" if send_verification_email_to_address(request, address) else "waiting"
