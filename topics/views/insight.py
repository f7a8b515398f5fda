"""The moderators' participation insight page and its member activity CSV."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from groupsite import clock
from topics import insight
from topics.access import get_group_for_moderator


@never_cache  # members' emails and activity: not for shared caches
@login_required
def insight_page(request, slug):
    group, membership = get_group_for_moderator(request.user, slug)
    now = timezone.now()
    context = {
        "group": group,
        "membership": membership,
        "now": now,
        "group_url": request.build_absolute_uri(group.get_absolute_url()),
        "topics": insight.topic_activity(group, now),
        "prompts": insight.prompt_response_rates(group),
        "unanswered": insight.prompts_without_answers(group),
        "quiet": insight.quiet_members(group, now, days=insight.QUIET_DAYS),
        "quiet_days": insight.QUIET_DAYS,
    }
    with clock.reading(request.user, group):
        return render(request, "topics/insight.html", context)


@never_cache  # members' emails and activity: not for shared caches
@login_required
def member_activity_csv(request, slug):
    group, _ = get_group_for_moderator(request.user, slug)
    now = timezone.now()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{insight.member_activity_filename(group, now)}"'
    # The byte order mark lets Excel read UTF-8 names (accents, Chinese) instead of guessing a legacy code page.
    response.write("\ufeff")
    insight.write_member_activity_csv(insight.member_activity_rows(group, now), response)
    return response
