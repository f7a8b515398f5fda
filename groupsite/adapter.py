"""allauth hooks: what a new username must be."""

from allauth.account.adapter import DefaultAccountAdapter

from groupsite import names


class AccountAdapter(DefaultAccountAdapter):
    def clean_username(self, username: str, shallow: bool = False) -> str:
        # ACCOUNT_USERNAME_VALIDATORS (names.username_validators) has already kept it to plain ASCII.
        username = super().clean_username(username, shallow=shallow)
        if not shallow:
            names.check_not_staff_lookalike(username, names.all_staff())
        return username
