"""The member's notifications page, watching and muting, and the @mention autocomplete."""

from http import HTTPStatus

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django.utils.translation import gettext, gettext_lazy

from discussions import notifications
from discussions.models import Notification
from discussions.access import get_thread_for_user
from topics.access import get_group_for_user, get_topic_for_user, require_reader_membership

NOTIFICATIONS_PER_PAGE = 30


@login_required
def notification_list(request):
    page = Paginator(notifications.for_display(request.user), NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "items": notifications.describe(page.object_list, user=request.user),
    }
    with timezone.override(request.user.tzinfo):  # times read as on the member's own clock
        return render(request, "discussions/notifications.html", context)


@require_POST
@login_required
def mark_notification_read(request, pk):
    """Mark one notification read and go where it leads (someone else's notification is a 404)."""
    notification = get_object_or_404(Notification.objects.select_related("group"), pk=pk, user=request.user)
    notifications.mark_read(notification=notification, now=timezone.now())
    return redirect(notifications.notification_url(notification))


@require_POST
@login_required
def mark_all_notifications_read(request):
    if notifications.mark_all_read(user=request.user, now=timezone.now()):
        messages.success(request, gettext("All your notifications are marked as read."))
    return redirect("discussions:notifications")


# Watching and muting: POST action=watch|mute|unwatch, for members of the target's group.

SUBSCRIPTION_MESSAGES = {
    "watch": gettext_lazy("You are watching %(target)s: %(what)s will notify you."),
    "mute": gettext_lazy("You muted %(target)s: nothing in it will notify you."),
    "unwatch": gettext_lazy("You no longer watch or mute %(target)s."),
}
WHAT_WATCHING_BRINGS = {
    "thread": gettext_lazy("new replies"),
    "topic": gettext_lazy("new threads"),
    "group": gettext_lazy("new threads in all its topics"),
}


def _change_subscription(request, target, *, kind: str, label: str):
    action = request.POST.get("action", "")
    now = timezone.now()
    if action == "watch":
        notifications.watch(user=request.user, target=target, now=now)
    elif action == "mute":
        notifications.mute(user=request.user, target=target, now=now)
    elif action == "unwatch":
        notifications.unwatch(user=request.user, target=target)
    else:
        return HttpResponse(
            gettext("Choose watch, mute or unwatch."), status=HTTPStatus.BAD_REQUEST, content_type="text/plain; charset=utf-8"
        )
    messages.success(request, SUBSCRIPTION_MESSAGES[action] % {"target": label, "what": WHAT_WATCHING_BRINGS[kind]})
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(back)
    return redirect(target)


@require_POST
@login_required
def thread_subscription(request, pk):
    thread, membership = get_thread_for_user(request.user, pk)
    require_reader_membership(membership)  # a suspended member may still watch and mute
    return _change_subscription(request, thread, kind="thread", label=f"“{thread.title}”")


@require_POST
@login_required
def topic_subscription(request, group_slug, topic_slug):
    topic, membership = get_topic_for_user(request.user, group_slug, topic_slug)
    require_reader_membership(membership)  # a suspended member may still watch and mute
    return _change_subscription(request, topic, kind="topic", label=f"the topic “{topic.title}”")


@require_POST
@login_required
def group_subscription(request, slug):
    group, membership = get_group_for_user(request.user, slug)
    require_reader_membership(membership)  # a suspended member may still watch and mute
    return _change_subscription(request, group, kind="group", label=group.name)


@require_GET
def group_members_json(request, slug):
    """Members matching ?q= for the @mention autocomplete; whoever may see the group may see its members."""
    group, _ = get_group_for_user(request.user, slug)
    results = notifications.member_suggestions(group=group, query=request.GET.get("q", ""), asked_by=request.user)
    return JsonResponse({"results": results})
