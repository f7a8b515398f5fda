"""Recording conclusions: prompt outcomes, topic summaries, their histories, key insights and the topic export."""

from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from discussions.markdown import render_markdown, validate_renderable
from discussions.access import get_post_for_user
from groupsite import clock
from groupsite.text import CleanCharField
from topics import bilingual, export, outcomes
from topics.access import (
    get_group_for_moderator,
    get_group_for_user,
    get_topic_for_moderator,
    get_topic_for_user,
    require_reader_membership,
)
from topics.bilingual_forms import TranslationFormMixin, language_field
from topics.models import Outcome, Prompt

SECTION_MAX_LENGTH = 20_000
SECTION_HELP = gettext_lazy("Markdown. Cite the posts a point rests on with the links listed below the form.")


def _translated_section(label) -> CleanCharField:
    return CleanCharField(
        label=label,
        required=False,
        max_length=SECTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        validators=[validate_renderable],
    )


class OutcomeForm(TranslationFormMixin, forms.Form):
    takeaways = CleanCharField(
        label=gettext_lazy("Key takeaways"),
        max_length=SECTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=SECTION_HELP,
        validators=[validate_renderable],
        error_messages={"required": gettext_lazy("Write the key takeaways.")},
    )
    open_questions = CleanCharField(
        label=gettext_lazy("Open questions"),
        required=False,
        max_length=SECTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("Markdown: what the group has not settled yet."),
        validators=[validate_renderable],
    )
    dissent = CleanCharField(
        label=gettext_lazy("Dissent"),
        required=False,
        max_length=SECTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("Markdown: who disagreed and why (no names under the Chatham House rule)."),
        validators=[validate_renderable],
    )
    review_on = forms.DateField(
        label=gettext_lazy("Review on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("Optional: when the group should look at this again."),
    )
    language = language_field()
    takeaways_translated = _translated_section(gettext_lazy("Key takeaways"))
    open_questions_translated = _translated_section(gettext_lazy("Open questions"))
    dissent_translated = _translated_section(gettext_lazy("Dissent"))

    translated_names = outcomes.TRANSLATED_SECTIONS

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_review_on(self):
        review_on = self.cleaned_data["review_on"]
        # A date already passed may stay (the outcome is then due for review), but a new one must lie ahead.
        if review_on is not None and review_on < self.today and review_on != self.initial.get("review_on"):
            raise forms.ValidationError(gettext("Choose a review date from today on."))
        return review_on


def _published_prompt_for_moderator(user, slug: str, pk: int):
    group, membership = get_group_for_moderator(user, slug)
    # Only a published prompt has a thread to draw conclusions from.
    prompt = get_object_or_404(
        Prompt.objects.published().select_related("topic", "thread"), pk=pk, topic__group=group, thread__isnull=False
    )
    prompt.topic.group = group
    return group, membership, prompt


def _outcome_editor(request, *, membership, topic, prompt, cites, done_url):
    group = topic.group
    outcome = outcomes.outcome_for(topic=topic, prompt=prompt)
    initial = {}
    if outcome is not None:
        initial = {name: getattr(outcome, name) for name in outcomes.EDITABLE_FIELDS}
    data = request.POST if request.method == "POST" else None
    form = OutcomeForm(data, initial=initial, today=outcomes.group_today(group))
    preview = []
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        elif "preview" in request.POST:
            preview = [
                (heading, render_markdown(form.cleaned_data[name]))
                for name, heading in outcomes.SECTIONS + bilingual.translated_headings(outcomes.SECTIONS)
                if form.cleaned_data[name]
            ]
        else:
            data = form.cleaned_data
            outcomes.save_outcome(prompt=prompt, topic=topic, author=request.user, now=timezone.now(), **data)
            messages.success(request, gettext("The outcome is saved.") if prompt else gettext("The summary is saved."))
            return redirect(done_url)
    context = {
        "group": group,
        "topic": topic,
        "membership": membership,
        "prompt": prompt,
        "thread": prompt.thread if prompt else None,
        "outcome": outcome,
        "form": form,
        "preview": preview,
        "cites": cites,
        "done_url": done_url,
    }
    with clock.reading(request.user, group):
        return render(request, "topics/outcome_form.html", context, status=status)


@login_required
def prompt_outcome(request, slug, pk):
    """Write or revise the outcome shown at the top of a prompt's thread."""
    group, membership, prompt = _published_prompt_for_moderator(request.user, slug, pk)
    return _outcome_editor(
        request,
        membership=membership,
        topic=prompt.topic,
        prompt=prompt,
        cites=outcomes.citable_posts(prompt.thread),
        done_url=prompt.thread.get_absolute_url(),
    )


@login_required
def topic_summary(request, group_slug, topic_slug):
    """Write or revise the summary shown at the top of a topic page."""
    topic, membership = get_topic_for_moderator(request.user, group_slug, topic_slug)
    return _outcome_editor(
        request,
        membership=membership,
        topic=topic,
        prompt=None,
        cites=outcomes.citable_for_summary(topic),
        done_url=topic.get_absolute_url(),
    )


def _history(request, *, group, membership, topic, prompt, outcome: Outcome | None):
    if outcome is None:
        raise Http404(gettext("Nothing has been written yet."))
    context = {
        "group": group,
        "topic": topic,
        "membership": membership,
        "prompt": prompt,
        "thread": prompt.thread if prompt else None,
        "outcome": outcome,
        "versions": outcomes.outcome_history(outcome),
    }
    with clock.reading(request.user, group):
        return render(request, "topics/outcome_revisions.html", context)


def prompt_outcome_revisions(request, slug, pk):
    """Who wrote each version of a prompt's outcome, and when; for everyone who can read the thread."""
    group, membership = get_group_for_user(request.user, slug)
    prompt = get_object_or_404(
        Prompt.objects.published().select_related("topic", "thread"), pk=pk, topic__group=group, thread__isnull=False
    )
    prompt.topic.group = group
    outcome = outcomes.outcome_for(topic=prompt.topic, prompt=prompt)
    return _history(request, group=group, membership=membership, topic=prompt.topic, prompt=prompt, outcome=outcome)


def topic_summary_revisions(request, group_slug, topic_slug):
    topic, membership = get_topic_for_user(request.user, group_slug, topic_slug)
    outcome = outcomes.outcome_for(topic=topic)
    return _history(request, group=topic.group, membership=membership, topic=topic, prompt=None, outcome=outcome)


@login_required
def topic_export(request, group_slug, topic_slug):
    """The topic as one Markdown document to download: for members, what they may read in it."""
    topic, membership = get_topic_for_user(request.user, group_slug, topic_slug)
    require_reader_membership(membership)  # a suspended member still reads, so may still export
    member = None if membership.is_moderator else request.user
    text = export.export_topic_markdown(topic, member=member, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, export.export_filename(topic))
    return response


@require_POST
@login_required
def key_insight(request, pk):
    """Mark (mark=1) or unmark (mark=0) a post as one of its topic's key insights."""
    post, membership = get_post_for_user(request.user, pk)
    if membership is None or not membership.is_moderator:
        raise PermissionDenied(gettext("Only the group's moderators mark key insights."))
    if post.is_deleted:
        raise Http404(gettext("A removed post cannot be a key insight."))
    mark = request.POST.get("mark")
    if mark == "1":
        if outcomes.mark_key_insight(post=post, by=request.user):
            messages.success(request, gettext("Marked as a key insight: it is listed on the topic page."))
    elif mark == "0":
        if outcomes.unmark_key_insight(post=post):
            messages.success(request, gettext("No longer a key insight."))
    else:
        return HttpResponse(gettext("Say mark=1 or mark=0."), status=400, content_type="text/plain; charset=utf-8")
    return redirect(post)
