"""Moderators run their group from the site: its settings, and its topics (added, edited and put in order).

Topics cannot be deleted here: their threads would go with them.
"""

from http import HTTPStatus

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from discussions.markdown import render_markdown
from topics import services
from topics.access import get_group_for_moderator
from topics.forms import GroupSettingsForm, TopicForm
from topics.models import Group, Topic


@login_required
def group_settings(request, slug):
    group, membership = get_group_for_moderator(request.user, slug)
    data = request.POST if request.method == "POST" else None
    # The form edits its own copy, so the page header keeps the saved name until a save succeeds.
    form = GroupSettingsForm(data, instance=Group.objects.get(pk=group.pk), membership=membership)
    if data is not None and form.is_valid():
        try:
            changed = services.update_group_settings(group=group, changed_by=membership, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            saved = gettext("The group's settings were saved.") if changed else gettext("Nothing was changed.")
            messages.success(request, saved)
            return redirect("topics:group_settings", slug=group.slug)
    status = HTTPStatus.BAD_REQUEST if data is not None else HTTPStatus.OK
    context = {"group": group, "membership": membership, "form": form}
    return render(request, "topics/group_settings.html", context, status=status)


@login_required
def topic_new(request, slug):
    group, membership = get_group_for_moderator(request.user, slug)
    form = TopicForm(request.POST if request.method == "POST" else None, group=group)
    return _topic_form(request, group, membership, form, topic=None)


@login_required
def topic_edit(request, group_slug, topic_slug):
    group, membership = get_group_for_moderator(request.user, group_slug)
    topic = get_object_or_404(Topic, group=group, slug=topic_slug)
    topic.group = group
    # As for settings: the form edits a copy, the page shows the topic as saved.
    form = TopicForm(
        request.POST if request.method == "POST" else None, group=group, instance=Topic.objects.get(pk=topic.pk)
    )
    return _topic_form(request, group, membership, form, topic=topic)


TOPIC_FIELDS = ("title", "slug", "briefing", "briefing_language", "briefing_translated")


def _topic_form(request, group, membership, form, *, topic):
    preview_html = ""
    if form.is_bound and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in TOPIC_FIELDS}
        if "preview" in request.POST:
            preview_html = render_markdown(fields["briefing"])  # the briefing as saving would render it
        else:
            try:
                if topic is None:
                    saved = services.create_topic(group=group, **fields)
                else:
                    saved = services.update_topic(topic=topic, **fields)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                message = gettext("“%(title)s” was added.") if topic is None else gettext("“%(title)s” was saved.")
                messages.success(request, message % {"title": saved.title})
                return redirect(saved)
    status = HTTPStatus.BAD_REQUEST if form.is_bound and form.errors else HTTPStatus.OK
    context = {"group": group, "membership": membership, "form": form, "topic": topic, "preview_html": preview_html}
    return render(request, "topics/topic_form.html", context, status=status)


@require_POST
@login_required
def topic_move(request, slug, pk):
    group, _ = get_group_for_moderator(request.user, slug)
    topic = get_object_or_404(Topic, pk=pk, group=group)
    direction = request.POST.get("direction")
    if direction not in {"up", "down"}:
        return HttpResponseBadRequest(gettext("The direction must be up or down."))
    if services.move_topic(topic=topic, direction=direction):
        message = gettext("“%(title)s” moved up.") if direction == "up" else gettext("“%(title)s” moved down.")
        messages.success(request, message % {"title": topic.title})
    else:
        first = direction == "up"
        message = gettext("“%(title)s” is already first.") if first else gettext("“%(title)s” is already last.")
        messages.info(request, message % {"title": topic.title})
    return redirect(f"{group.get_absolute_url()}#topic-{topic.pk}")
