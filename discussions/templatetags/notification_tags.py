from django import template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from discussions import notifications
from discussions.models import Subscription, Thread
from topics.models import Group, Topic

register = template.Library()

# What each state means on each kind of page, in the words the member sees beside the buttons.
EXPLANATIONS = {
    ("thread", "watching"): _("You are watching this thread: new replies notify you."),
    ("thread", "muted"): _("You muted this thread: nothing in it notifies you."),
    ("topic", "watching"): _("You are watching this topic: new threads notify you."),
    ("topic", "muted"): _("You muted this topic: nothing in it notifies you."),
    ("group", "watching"): _("You are watching this group: new threads in every topic notify you."),
    ("group", "muted"): _("You muted this group: nothing in it notifies you, unless you watch a thread or topic."),
}
# A level that comes from the topic or group above, as whole sentences so each language words them its own way.
INHERITED = {
    ("watching", "topic"): _("You watch its topic: new threads there notify you."),
    ("watching", "group"): _("You watch its group: new threads there notify you."),
    ("muted", "topic"): _("You muted its topic: nothing here notifies you unless you watch it."),
    ("muted", "group"): _("You muted its group: nothing here notifies you unless you watch it."),
}
DEFAULTS = {
    "thread": _("Not watching: replies to your posts, quotes and @mentions still notify you."),
    "topic": _("Not watching: watch to hear of every new thread in this topic."),
    "group": _("Not watching: watch to hear of every new thread in this group."),
}


def _action_url(target) -> str:
    if isinstance(target, Thread):
        return reverse("discussions:thread_subscription", args=[target.pk])
    if isinstance(target, Topic):
        return reverse("discussions:topic_subscription", args=[target.group.slug, target.slug])
    if isinstance(target, Group):
        return reverse("discussions:group_subscription", args=[target.slug])
    raise TypeError(f"No watch controls for {type(target).__name__}")


@register.inclusion_tag("discussions/_subscription_controls.html", takes_context=True)
def subscription_controls(context, target):
    """Watch / Mute / Stop buttons for a thread, topic or group, shown to the group's members (plain POST forms).

    On the thread page the levels come with the thread (with_reader_state); elsewhere they cost one query.
    """
    user = context.get("user")
    membership = context.get("membership")
    request = context.get("request")
    if user is None or not user.is_authenticated or membership is None:
        return {"show": False}
    kind = "thread" if isinstance(target, Thread) else "topic" if isinstance(target, Topic) else "group"
    state = notifications.subscription_state(user=user, target=target)
    if state["level"]:
        explanation = EXPLANATIONS[(kind, state["level"])]
    elif state["effective"]:
        explanation = INHERITED[(state["effective"], state["source"])]
        if kind == "thread" and state["effective"] == Subscription.Level.WATCHING:
            explanation = DEFAULTS["thread"]  # watching a topic brings its new threads, not every reply
    else:
        explanation = DEFAULTS[kind]
    return {
        "show": True,
        "kind": kind,
        "state": state,
        "explanation": explanation,
        "action_url": _action_url(target),
        "next": request.get_full_path() if request is not None else "",
        "csrf_token": context.get("csrf_token"),
    }
