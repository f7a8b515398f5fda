"""allauth hooks: what a new username must be, what its emails call the site, where an unconfirmed login goes."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django.conf import settings
from django.contrib.sites.requests import RequestSite

from groupsite import names, verification


class AccountAdapter(DefaultAccountAdapter):
    def clean_username(self, username: str, shallow: bool = False) -> str:
        # ACCOUNT_USERNAME_VALIDATORS (names.username_validators) has already kept it to plain ASCII.
        username = super().clean_username(username, shallow=shallow)
        if not shallow:
            names.check_not_staff_lookalike(username, names.all_staff())
        return username

    def send_mail(self, template_prefix: str, email: str, context_data: dict) -> None:
        # Without django.contrib.sites allauth names the site after the request's host ("Hello from
        # 127.0.0.1:8101!"); its emails say the site's name, and keep the host people reached it at.
        site = RequestSite(context.request)
        site.name = settings.SITE_NAME
        super().send_mail(template_prefix, email, {**context_data, "current_site": site})

    def respond_email_verification_sent(self, request, user):
        # Reached after a correct password (login) or a new account (sign-up): the page says which, and may resend.
        if user is not None:
            at_login = request.resolver_match is not None and request.resolver_match.url_name == "account_login"
            verification.remember_pending(request.session, user, at_login=at_login)
        return super().respond_email_verification_sent(request, user)

    def confirm_email(self, request, email_address) -> bool:
        confirmed = super().confirm_email(request, email_address)
        if confirmed:
            verification.forget_pending(request.session, email_address.email)
        return confirmed
