"""Writing in threads: starting one, replying, editing, removing, counting views."""

from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy

from discussions import changes, notifications, tasks
from discussions.markdown import render_markdown
from discussions.models import Flag, Post, PostRevision, Thread
from discussions.search import index as search_index
from groupsite import outbox
from topics import audit
from topics.audit import AuditAction
from topics.models import Topic


def quote_markdown(post: Post, *, anonymous: bool | None = None) -> str:
    """The Markdown a quote-reply starts with: the quoted text as a blockquote, attributed.

    Under the Chatham House rule the attribution names nobody, whoever is quoting: the reply is read by everyone.
    `anonymous=None` asks the post's thread.
    """
    if anonymous is None:
        anonymous = post.thread.is_chatham_house
    quoted = "\n".join(f"> {line}" if line else ">" for line in post.body.strip().splitlines())
    if anonymous:
        author = "A participant"
    else:
        author = post.author.public_name if post.author else "a former member"
    return f"**{author}** wrote:\n\n{quoted}\n\n"


def _argument_fields(role: str, source_url: str, evidence_as_of: date | None) -> dict:
    """Only evidence keeps a source and date (the only_evidence_has_a_source constraint)."""
    if role != Post.Role.EVIDENCE:
        source_url, evidence_as_of = "", None
    return {"role": role, "source_url": source_url, "evidence_as_of": evidence_as_of}


@transaction.atomic
def publish_post(
    *,
    thread: Thread,
    author,
    body: str,
    quoted_post: Post | None = None,
    now: datetime | None = None,
    role: str = "",
    source_url: str = "",
    evidence_as_of: date | None = None,
) -> Post:
    body_html = render_markdown(body)  # before the lock, which is held for as short a time as possible
    # Locking the thread row numbers its posts one after another even when two replies arrive at once; the time is
    # read under the lock too, so a later number never carries an earlier time and last activity is the newest post.
    locked = Thread.objects.select_for_update().only("post_count", "topic_id", "is_locked").get(pk=thread.pk)
    now = now or timezone.now()
    if locked.is_locked:
        # Checked again under the lock: the prompt may have closed since the view looked.
        raise PermissionDenied(gettext("This thread is closed to new replies."))
    post = Post.objects.create(
        thread=thread,
        author=author,
        number=locked.post_count + 1,
        body=body,
        body_html=body_html,
        quoted_post=quoted_post,
        created_at=now,
        **_argument_fields(role, source_url, evidence_as_of),
    )
    Thread.objects.filter(pk=thread.pk).update(post_count=F("post_count") + 1, last_activity_at=now)
    # The locked row's topic, not the caller's copy: a move may have just changed it.
    Topic.objects.filter(pk=locked.topic_id).update(post_count=F("post_count") + 1, last_activity_at=now)
    thread.post_count = locked.post_count + 1
    thread.last_activity_at = now
    notifications.auto_watch(user=author, thread=thread, now=now)
    changes.thread_changed(thread.pk)
    search_index.index_post(post)
    if post.number > 1:  # an opening post is announced by start_thread's notify_new_thread
        outbox.enqueue(tasks.notify_new_post, post.pk, now.isoformat())
    return post


@transaction.atomic
def start_thread(
    *,
    topic: Topic,
    author,
    title: str,
    body: str,
    now: datetime | None = None,
    is_pinned: bool = False,
    role: str = "",
    source_url: str = "",
    evidence_as_of: date | None = None,
) -> Thread:
    now = now or timezone.now()
    thread = Thread.objects.create(
        topic=topic, author=author, title=title, created_at=now, last_activity_at=now, is_pinned=is_pinned
    )
    Topic.objects.filter(pk=topic.pk).update(thread_count=F("thread_count") + 1)
    publish_post(
        thread=thread,
        author=author,
        body=body,
        now=now,
        role=role,
        source_url=source_url,
        evidence_as_of=evidence_as_of,
    )
    search_index.index_thread(thread)
    outbox.enqueue(tasks.notify_new_thread, thread.pk, now.isoformat())
    return thread


@transaction.atomic
def edit_post(
    *,
    post: Post,
    editor,
    body: str,
    now: datetime | None = None,
    role: str | None = None,
    source_url: str | None = None,
    evidence_as_of: date | None = None,
) -> bool:
    """Replace a post's body, keeping the old one as a revision, and its role if given; False if nothing changed.

    `role=None` leaves the role and source as they are. A new role without a source keeps the post's
    current source when it stays evidence.
    """
    # Lock the row and read it afresh, so two overlapping edits each keep the other's text as a revision.
    current = Post.objects.select_for_update().get(pk=post.pk)
    post.body, post.body_html, post.edited_at = current.body, current.body_html, current.edited_at
    changed_role = False
    if role is not None:
        argument = _argument_fields(
            role,
            post.source_url if source_url is None else source_url,
            post.evidence_as_of if evidence_as_of is None else evidence_as_of,
        )
        changed_role = any(getattr(post, name) != value for name, value in argument.items())
        if changed_role:
            for name, value in argument.items():
                setattr(post, name, value)
            post.save(update_fields=list(argument))
            changes.post_changed(post)
    now = now or timezone.now()
    if body == post.body:
        if changed_role:
            search_index.index_post(post)
            if editor.pk != post.author_id:
                _record_moderation(post, actor=editor, action=AuditAction.EDIT_POST, now=now)
        return changed_role
    PostRevision.objects.create(
        post=post,
        body=post.body,
        body_html=post.body_html,
        written_at=post.edited_at or post.created_at,
        replaced_at=now,
        replaced_by=editor,
    )
    post.body = body
    post.body_html = render_markdown(body)
    post.edited_at = now
    post.save(update_fields=["body", "body_html", "edited_at"])
    changes.post_changed(post)
    search_index.index_post(post)
    if editor.pk != post.author_id:
        _record_moderation(post, actor=editor, action=AuditAction.EDIT_POST, now=now)
    return True


@transaction.atomic
def delete_post(*, post: Post, deleted_by, now: datetime | None = None, reason: str = "") -> bool:
    """Remove a post from view; its text stays in the database for moderators' records.

    A moderator removing another's post is written to the moderation log; the post's open flags are settled.
    """
    now = now or timezone.now()
    changed = Post.objects.filter(pk=post.pk, deleted_at__isnull=True).update(deleted_at=now, deleted_by=deleted_by)
    if changed:
        post.deleted_at, post.deleted_by = now, deleted_by
        changes.post_changed(post)
        search_index.index_post(post)  # out of search results at once
        Flag.objects.filter(post=post, resolved_at__isnull=True).update(
            resolved_at=now, resolved_by=deleted_by, resolution=Flag.Resolution.DELETED
        )
        if deleted_by.pk != post.author_id:
            _record_moderation(post, actor=deleted_by, action=AuditAction.DELETE_POST, now=now, reason=reason)
    return bool(changed)


def _record_moderation(post: Post, *, actor, action: str, now: datetime, reason: str = "") -> None:
    thread = post.thread
    audit.record(
        actor=actor,
        action=action,
        group=thread.topic.group,
        target_user=post.author,
        thread=thread,
        post=post,
        summary=f"Post {post.number} in “{thread.title}”",
        reason=reason,
        now=now,
    )


# The thread page's filter links, in reading order, with the short names they go by there.
ROLE_FILTERS = [
    (Post.Role.EVIDENCE, pgettext_lazy("filter posts by role", "Evidence")),
    (Post.Role.FOR, pgettext_lazy("filter posts by role: arguments for", "For")),
    (Post.Role.AGAINST, pgettext_lazy("filter posts by role: arguments against", "Against")),
    (Post.Role.QUESTION, pgettext_lazy("filter posts by role", "Questions")),
    (Post.Role.PROPOSAL, pgettext_lazy("filter posts by role", "Proposals")),
]


def role_counts(thread: Thread) -> dict[str, int]:
    """The number of the thread's posts (not removed) in all and of each role, in one query."""
    visible = thread.posts.filter(deleted_at__isnull=True)
    return visible.aggregate(all=Count("pk"), **{value: Count("pk", filter=Q(role=value)) for value, _ in ROLE_FILTERS})


def role_filters(*, counts: dict[str, int], active: str = "") -> list[dict]:
    """The thread's "All · Evidence · For · …" links with the number of posts in each (`counts`: role_counts)."""
    all_label = pgettext_lazy("filter posts by role", "All")
    filters = [{"value": "", "label": all_label, "count": counts["all"], "active": not active}]
    filters += [
        {"value": value, "label": label, "count": counts[value], "active": active == value}
        for value, label in ROLE_FILTERS
    ]
    return filters


def topic_evidence(*, topic: Topic, today: date, limit: int = 100) -> list[Post]:
    """The topic's evidence, oldest facts first, each marked `is_possibly_stale` by the group's threshold."""
    stale_before = today - timedelta(days=topic.group.evidence_stale_after_days)
    posts = list(
        Post.objects.shown().filter(thread__topic=topic, role=Post.Role.EVIDENCE)
        .select_related("thread")
        .order_by("evidence_as_of", "created_at", "pk")[:limit]
    )
    for post in posts:
        post.is_possibly_stale = post.evidence_as_of is not None and post.evidence_as_of < stale_before
    return posts


def page_of(post: Post, per_page: int) -> int:
    return (post.number - 1) // per_page + 1
