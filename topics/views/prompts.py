"""Moderators plan and steer prompts; everyone in the group reads the agenda."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from discussions.models import SearchDocument
from discussions.search import index as search_index
from groupsite import clock
from topics import answers
from topics import prompts as prompt_services
from topics import scheduling
from topics.access import get_group_for_moderator, get_group_for_user
from topics.bilingual_forms import PromptTranslationForm
from topics.forms import DuplicatePromptForm, MilestoneForm, ProgrammeForm, PromptForm, ReopenForm
from topics.models import Milestone, Prompt, PromptProgramme

RECENTLY_CLOSED_SHOWN = 10


def _moderated_prompt(request, slug, pk):
    group, membership = get_group_for_moderator(request.user, slug)
    prompt = get_object_or_404(Prompt.objects.select_related("topic", "thread", "poll"), pk=pk, topic__group=group)
    prompt.topic.group = group
    return group, membership, prompt


def agenda(request, slug):
    """The prompt plan across topics: open, upcoming (moderators only) and recently closed."""
    group, membership = get_group_for_user(request.user, slug)
    is_moderator = membership is not None and membership.is_moderator
    prompts = Prompt.objects.filter(topic__group=group).select_related("topic", "thread")
    # Moderators see each published prompt's answered / voted / members, as subqueries of the same query.
    published = answers.with_response_counts(prompts) if is_moderator else prompts
    context = {
        "group": group,
        "membership": membership,
        "open_prompts": published.filter(status=Prompt.Status.OPEN).order_by("closes_at", "-published_at"),
        "closed_prompts": published.filter(status=Prompt.Status.CLOSED).order_by("-closed_at")[:RECENTLY_CLOSED_SHOWN],
    }
    if is_moderator:
        context |= {
            "scheduled_prompts": prompts.filter(status=Prompt.Status.SCHEDULED)
            .select_related("milestone")  # each row names the milestone it follows
            .order_by("publish_at"),
            "backlog_prompts": prompts.filter(status=Prompt.Status.BACKLOG).order_by("topic__position", "backlog_position"),
            "draft_prompts": prompts.filter(status=Prompt.Status.DRAFT).order_by("-created_at"),
            "programme": PromptProgramme.objects.filter(group=group).first(),
            "milestones": group.milestones.all(),
        }
    with clock.reading(request.user, group):
        return render(request, "topics/agenda.html", context)


@login_required
def prompt_new(request, slug):
    group, membership = get_group_for_moderator(request.user, slug)
    now = timezone.now()
    with timezone.override(group.tzinfo):
        initial = {}
        topic_slug = request.GET.get("topic")
        if topic_slug:
            initial["topic"] = group.topics.filter(slug=topic_slug).first()
        form = PromptForm(request.POST or None, group=group, now=now, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                prompt, published = prompt_services.save_prompt(form=form, author=request.user, now=now)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return _after_save(request, group, prompt, published)
        status = 400 if request.method == "POST" else 200
        context = {"group": group, "membership": membership, "form": form, "prompt": None}
        return render(request, "topics/prompt_form.html", context, status=status)


def _after_save(request, group, prompt, published):
    if published:
        messages.success(request, gettext("The prompt is published: its thread is open and pinned in its topic."))
        return redirect(prompt.thread)
    messages.success(request, gettext("Saved: %(status)s.") % {"status": prompt.get_status_display().lower()})
    return redirect("topics:prompt_edit", slug=group.slug, pk=prompt.pk)


@login_required
def prompt_edit(request, slug, pk):
    """Edit an unpublished prompt; for a published one, the controls to close, reopen or duplicate it."""
    group, membership, prompt = _moderated_prompt(request, slug, pk)
    now = timezone.now()
    with timezone.override(group.tzinfo):
        form = None
        if not prompt.is_published:
            form = PromptForm(request.POST or None, instance=prompt, group=group, now=now)
            if request.method == "POST":
                if form.is_valid():
                    try:
                        prompt, published = prompt_services.save_prompt(form=form, author=request.user, now=now)
                    except ValidationError as error:
                        form.add_error(None, error)
                    else:
                        return _after_save(request, group, prompt, published)
        elif request.method == "POST":
            return redirect("topics:prompt_edit", slug=group.slug, pk=prompt.pk)
        context = {
            "group": group,
            "membership": membership,
            "form": form,
            "prompt": prompt,
            "reopen_form": ReopenForm(),
            "duplicate_form": DuplicatePromptForm(user=request.user, initial={"topic": prompt.topic}),
            "translation_form": PromptTranslationForm(instance=prompt) if prompt.is_published else None,
        }
        status = 400 if request.method == "POST" else 200
        return render(request, "topics/prompt_form.html", context, status=status)


@require_POST
@login_required
def prompt_publish(request, slug, pk):
    group, _, prompt = _moderated_prompt(request, slug, pk)
    if prompt_services.publish_now(prompt=prompt, now=timezone.now(), by=request.user):
        prompt.refresh_from_db()
        messages.success(request, gettext("The prompt is published: its thread is open and pinned in its topic."))
        return redirect(prompt.thread)
    messages.info(request, gettext("That prompt was already published."))
    return redirect("topics:prompt_edit", slug=group.slug, pk=prompt.pk)


@require_POST
@login_required
def prompt_close(request, slug, pk):
    group, _, prompt = _moderated_prompt(request, slug, pk)
    if scheduling.close_prompt(prompt_id=prompt.pk, now=timezone.now(), by=request.user):
        messages.success(request, gettext("The prompt is closed: its thread takes no more replies or votes."))
    else:
        messages.info(request, gettext("That prompt was not open."))
    return redirect("topics:prompt_edit", slug=group.slug, pk=prompt.pk)


@require_POST
@login_required
def prompt_reopen(request, slug, pk):
    group, membership, prompt = _moderated_prompt(request, slug, pk)
    now = timezone.now()
    with timezone.override(group.tzinfo):
        form = ReopenForm(request.POST)
        if form.is_valid():
            closes_at = form.cleaned_data["closes_at"]
            if closes_at is not None and closes_at <= now:
                form.add_error("closes_at", gettext("The closing time is in the past."))
            elif scheduling.reopen_prompt(prompt_id=prompt.pk, now=now, closes_at=closes_at, by=request.user):
                messages.success(request, gettext("The prompt is open again."))
                return redirect("topics:prompt_edit", slug=group.slug, pk=prompt.pk)
            else:
                messages.info(request, gettext("That prompt was not closed."))
                return redirect("topics:prompt_edit", slug=group.slug, pk=prompt.pk)
        context = {
            "group": group,
            "membership": membership,
            "form": None,
            "prompt": prompt,
            "reopen_form": form,
            "duplicate_form": DuplicatePromptForm(user=request.user, initial={"topic": prompt.topic}),
        }
        return render(request, "topics/prompt_form.html", context, status=400)


@require_POST
@login_required
def prompt_translation(request, slug, pk):
    """Save the other language's version of a published prompt (its own form closes once it is published)."""
    group, membership, prompt = _moderated_prompt(request, slug, pk)
    form = PromptTranslationForm(request.POST, instance=prompt)
    if form.is_valid():
        prompt_services.save_prompt_translation(form=form)
        messages.success(request, gettext("The other language's version is saved."))
        return redirect("topics:prompt_edit", slug=group.slug, pk=prompt.pk)
    prompt.refresh_from_db()  # the page shows the prompt as saved
    context = {
        "group": group,
        "membership": membership,
        "form": None,
        "prompt": prompt,
        "reopen_form": ReopenForm(),
        "duplicate_form": DuplicatePromptForm(user=request.user, initial={"topic": prompt.topic}),
        "translation_form": form,
    }
    with timezone.override(group.tzinfo):
        return render(request, "topics/prompt_form.html", context, status=400)


@require_POST
@login_required
def prompt_duplicate(request, slug, pk):
    group, membership, prompt = _moderated_prompt(request, slug, pk)
    form = DuplicatePromptForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, gettext("Choose a topic in a group you moderate."))
        return redirect("topics:prompt_edit", slug=group.slug, pk=prompt.pk)
    target = form.cleaned_data["topic"]
    copy = prompt_services.duplicate_prompt(prompt=prompt, topic=target, author=request.user)
    message = gettext("A draft copy is in %(group)s › %(topic)s.")
    messages.success(request, message % {"group": target.group.name, "topic": target.title})
    return redirect("topics:prompt_edit", slug=target.group.slug, pk=copy.pk)


@require_POST
@login_required
def prompt_delete(request, slug, pk):
    group, _, prompt = _moderated_prompt(request, slug, pk)
    # Only while unpublished, checked in the DELETE itself: the schedule may publish it at this very moment.
    deleted, _ = Prompt.objects.filter(pk=prompt.pk).exclude(status__in=[Prompt.Status.OPEN, Prompt.Status.CLOSED]).delete()
    if not deleted:
        messages.error(request, gettext("A published prompt stays on record: close it instead."))
        return redirect("topics:prompt_edit", slug=group.slug, pk=prompt.pk)
    search_index.forget(SearchDocument.Kind.PROMPT, prompt.pk)
    messages.success(request, gettext("The prompt was deleted."))
    return redirect("topics:agenda", slug=group.slug)


@login_required
def programme(request, slug):
    """The weekly cadence and the backlog it releases, rotating through the topics."""
    group, membership = get_group_for_moderator(request.user, slug)
    current = PromptProgramme.objects.filter(group=group).first() or PromptProgramme(group=group)
    now = timezone.now()
    with timezone.override(group.tzinfo):
        form = ProgrammeForm(request.POST or None, instance=current)
        if request.method == "POST" and form.is_valid():
            with transaction.atomic():
                saved = form.save(commit=False)
                saved.updated_by = request.user
                scheduling.schedule_programme(programme=saved, now=now)
            messages.success(request, gettext("The programme is saved."))
            return redirect("topics:programme", slug=group.slug)
        backlog = Prompt.objects.filter(topic__group=group, status=Prompt.Status.BACKLOG).select_related("topic")
        next_prompt = scheduling.next_backlog_prompt(current) if current.pk else None
        next_closes_at = None
        if next_prompt is not None and current.next_release_at is not None:
            next_closes_at = scheduling.release_closing_time(next_prompt, current, now=current.next_release_at)
        context = {
            "group": group,
            "membership": membership,
            "form": form,
            "programme": current if current.pk else None,
            "backlog": backlog.order_by("topic__position", "backlog_position", "pk"),
            "next_prompt": next_prompt,
            "next_closes_at": next_closes_at,
            "next_keeps_own_time": next_closes_at is not None and next_closes_at == next_prompt.closes_at,
        }
        status = 400 if request.method == "POST" else 200
        return render(request, "topics/programme.html", context, status=status)


@login_required
def milestones(request, slug):
    group, membership = get_group_for_moderator(request.user, slug)
    with timezone.override(group.tzinfo):
        form = MilestoneForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            milestone = form.save(commit=False)
            milestone.group, milestone.created_by = group, request.user
            milestone.save()
            messages.success(request, gettext("Milestone “%(title)s” added.") % {"title": milestone.title})
            return redirect("topics:milestones", slug=group.slug)
        context = {
            "group": group,
            "membership": membership,
            "form": form,
            "milestones": group.milestones.prefetch_related("prompts"),
        }
        status = 400 if request.method == "POST" else 200
        return render(request, "topics/milestones.html", context, status=status)


@require_POST
@login_required
def milestone_move(request, slug, pk):
    group, membership = get_group_for_moderator(request.user, slug)
    milestone = get_object_or_404(Milestone, pk=pk, group=group)
    with timezone.override(group.tzinfo):
        form = MilestoneForm(request.POST, instance=Milestone.objects.get(pk=milestone.pk))
        if not form.is_valid():
            message = gettext("“%(title)s” was not changed: give it a title and a valid date.")
            messages.error(request, message % {"title": milestone.title})
            context = {
                "group": group,
                "membership": membership,
                "form": MilestoneForm(),
                "milestones": group.milestones.prefetch_related("prompts"),
            }
            return render(request, "topics/milestones.html", context, status=400)
        milestone.title = form.cleaned_data["title"]
        milestone.save(update_fields=["title"])
        moved = scheduling.move_milestone(milestone=milestone, happens_at=form.cleaned_data["happens_at"])
    message = ngettext(
        "Milestone updated; %(count)d prompt following it moved too.",
        "Milestone updated; %(count)d prompts following it moved too.",
        moved,
    )
    messages.success(request, message % {"count": moved})
    return redirect("topics:milestones", slug=group.slug)
