"""allauth's email confirmation pages, saying where the person stands (see groupsite/verification.py)."""

from allauth.account.views import ConfirmEmailView as AllauthConfirmEmailView
from allauth.account.views import EmailVerificationSentView as AllauthEmailVerificationSentView
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from groupsite import verification


class ConfirmEmailView(AllauthConfirmEmailView):
    """allauth's, plus: a link to an address confirmed already says so (on GET, and on a second click of Confirm)."""

    def post(self, *args, **kwargs):
        try:
            return super().post(*args, **kwargs)
        except Http404:
            if verification.already_confirmed(self.kwargs["key"]) is None:
                raise
            self.object = None
            return self.render_to_response(self.get_context_data())

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        if not self.object:
            context["already_confirmed"] = verification.already_confirmed(self.kwargs["key"])
        return context


class EmailVerificationSentView(AllauthEmailVerificationSentView):
    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(**kwargs) | {"pending": verification.pending(self.request.session)}


@require_POST
def resend_verification(request):
    outcome = verification.resend(request)
    if outcome == "unknown":
        return redirect("account_email" if request.user.is_authenticated else "account_login")
    if outcome == "confirmed":
        messages.info(request, gettext("Your email address is already confirmed: log in to continue."))
        return redirect("account_email" if request.user.is_authenticated else "account_login")
    if outcome == "waiting":
        messages.info(
            request,
            gettext(
                "A confirmation link was sent a few minutes ago: look for it in your inbox and spam folder. "
                "You can ask for another one in three minutes."
            ),
        )
    # "sent": allauth has added its own "Confirmation email sent to ..." message.
    return redirect("account_email_verification_sent")
