import hmac
import secrets

from django.db import models
from django.utils import timezone


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)  # 256 random bits: the address is the only key to a private group's feeds


class FeedToken(models.Model):
    """A member's secret address for the feeds of a private group (feeds.urls, under `private-feed/<token>/`).

    It hangs on the membership, not on the person: leaving, removal and a ban delete the membership and the token
    with it, and a feed request finds the token only through a membership that still exists. Resetting gives a new
    random value, so the old address answers 404 at once.
    """

    membership = models.OneToOneField("topics.Membership", on_delete=models.CASCADE, related_name="feed_token")
    token = models.CharField(max_length=64, unique=True, default=new_feed_token, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self):
        return f"Feed address of {self.membership}"

    def matches(self, token: str) -> bool:
        """Compared in constant time, as well as found by its unique value (a database may compare loosely)."""
        return hmac.compare_digest(self.token.encode(), token.encode())


def reset_feed_token(*, membership) -> FeedToken:
    """Give the member a new secret feed address for the group (their first, or one that replaces the old)."""
    feed_token, _ = FeedToken.objects.update_or_create(
        membership=membership, defaults={"token": new_feed_token(), "created_at": timezone.now()}
    )
    return feed_token
