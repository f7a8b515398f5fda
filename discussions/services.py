"""Writing in threads: starting one, replying, editing, removing, counting views."""

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from discussions.markdown import render_markdown
from discussions.models import Post, PostRevision, Thread
from topics.models import Topic


def quote_markdown(post: Post) -> str:
    """The Markdown a quote-reply starts with: the quoted text as a blockquote, attributed."""
    quoted = "\n".join(f"> {line}" if line else ">" for line in post.body.strip().splitlines())
    author = post.author.public_name if post.author else "a former member"
    return f"**{author}** wrote:\n\n{quoted}\n\n"


@transaction.atomic
def publish_post(*, thread: Thread, author, body: str, quoted_post: Post | None = None, now: datetime | None = None) -> Post:
    now = now or timezone.now()
    # Locking the thread row numbers its posts one after another even when two replies arrive at once.
    locked = Thread.objects.select_for_update().only("post_count").get(pk=thread.pk)
    post = Post.objects.create(
        thread=thread,
        author=author,
        number=locked.post_count + 1,
        body=body,
        body_html=render_markdown(body),
        quoted_post=quoted_post,
        created_at=now,
    )
    Thread.objects.filter(pk=thread.pk).update(post_count=F("post_count") + 1, last_activity_at=now)
    Topic.objects.filter(pk=thread.topic_id).update(post_count=F("post_count") + 1, last_activity_at=now)
    thread.post_count = locked.post_count + 1
    thread.last_activity_at = now
    return post


@transaction.atomic
def start_thread(
    *, topic: Topic, author, title: str, body: str, now: datetime | None = None, is_pinned: bool = False
) -> Thread:
    now = now or timezone.now()
    thread = Thread.objects.create(
        topic=topic, author=author, title=title, created_at=now, last_activity_at=now, is_pinned=is_pinned
    )
    Topic.objects.filter(pk=topic.pk).update(thread_count=F("thread_count") + 1)
    publish_post(thread=thread, author=author, body=body, now=now)
    return thread


@transaction.atomic
def edit_post(*, post: Post, editor, body: str, now: datetime | None = None) -> bool:
    """Replace a post's body, keeping the old one as a revision; returns False if nothing changed."""
    if body == post.body:
        return False
    now = now or timezone.now()
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
    return True


def delete_post(*, post: Post, deleted_by, now: datetime | None = None) -> bool:
    """Remove a post from view; its text stays in the database for moderators' records."""
    now = now or timezone.now()
    changed = Post.objects.filter(pk=post.pk, deleted_at__isnull=True).update(deleted_at=now, deleted_by=deleted_by)
    if changed:
        post.deleted_at, post.deleted_by = now, deleted_by
    return bool(changed)


def record_view(*, thread: Thread) -> None:
    Thread.objects.filter(pk=thread.pk).update(view_count=F("view_count") + 1)
    thread.view_count += 1


def page_of(post: Post, per_page: int) -> int:
    return (post.number - 1) // per_page + 1
