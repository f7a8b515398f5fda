"""Email preferences and the one-click unsubscribe link that every email carries."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django.utils.translation import gettext

from discussions import mailing
from discussions.emails import describe_scope, read_unsubscribe_token, scope_kinds
from groupsite.forms import EmailPreferencesForm
from groupsite.models import User


def _resolve_unsubscribe_token(token: str) -> tuple[User, str] | None:
    """The member and scope a token names, or None when it is forged, altered, or names no one any more."""
    try:
        user_id, scope = read_unsubscribe_token(token)
        scope_kinds(scope)
    except (signing.BadSignature, ValueError):
        return None
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return None
    return user, scope


# RFC 8058: mail programs POST "List-Unsubscribe=One-Click" to this address with no cookie and no CSRF token, so
# the signed token is the only credential. A GET changes nothing, because mail scanners fetch links to check them.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    resolved = _resolve_unsubscribe_token(token)
    if resolved is None:
        return render(request, "discussions/unsubscribe_invalid.html", status=400)
    user, scope = resolved
    context = {"person": user, "scope": scope, "what": describe_scope(scope), "is_digest": not scope_kinds(scope)}
    if request.method == "POST":
        context["changed"] = mailing.unsubscribe(user=user, scope=scope)
        return render(request, "discussions/unsubscribe_done.html", context)
    return render(request, "discussions/unsubscribe_confirm.html", context)


@login_required
def email_preferences(request):
    form = EmailPreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "discussions/email_preferences.html", {"form": form}, status=400)
        form.save()
        messages.success(request, gettext("Your email preferences were saved."))
        return redirect("discussions:email_preferences")
    return render(request, "discussions/email_preferences.html", {"form": form})
