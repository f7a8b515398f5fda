"""Who may read a feed: anyone for a public group's, only the holder of a member's secret address for any group.

A public feed of a private group is a 404 for everyone, members included: a feed reader fetches without a session,
so the secret address is the only way in. The address is checked on every request against a membership that still
exists and a person whose account is active (discussions.models.FeedToken).
"""

from dataclasses import dataclass

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from discussions.models import FeedToken, new_feed_token
from topics.models import Group


@dataclass(frozen=True)
class FeedPlace:
    """The group a feed belongs to and how it was reached: publicly, or with a member's secret token."""

    group: Group
    token: str = ""

    def url(self, kind: str, *args) -> str:
        """The absolute address of this group's feed of `kind` (group, prompts, topic, thread), reached the same way."""
        if self.token:
            return settings.SITE_URL + reverse(f"feeds:secret_{kind}", args=[self.group.slug, self.token, *args])
        group_args = () if kind == "thread" else (self.group.slug,)  # a public thread feed is known by its id alone
        return settings.SITE_URL + reverse(f"feeds:{kind}", args=[*group_args, *args])


def public_feed_place(slug: str) -> FeedPlace:
    group = get_object_or_404(Group, slug=slug)
    if not group.is_public:
        raise Http404("No such feed")
    return FeedPlace(group=group)


def secret_feed_place(slug: str, token: str) -> FeedPlace:
    """The group of a member's secret address; 404 once it was reset or the membership ended."""
    found = FeedToken.objects.select_related("membership__group", "membership__user").filter(token=token).first()
    if found is None or not found.matches(token):
        raise Http404("No such feed")
    membership = found.membership
    if membership.group.slug != slug or not membership.user.is_active:
        raise Http404("No such feed")
    return FeedPlace(group=membership.group, token=token)


def reset_feed_token(*, membership) -> FeedToken:
    """Give the member a new secret feed address for the group (their first, or one that replaces the old)."""
    feed_token, _ = FeedToken.objects.update_or_create(
        membership=membership, defaults={"token": new_feed_token(), "created_at": timezone.now()}
    )
    return feed_token
