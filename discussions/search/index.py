"""Keeping the search index current: each service that changes searchable text or who may see it calls one of
these in its own transaction (no signals: STYLE.md), and `rebuild_search_index` writes it all for existing data."""

from datetime import UTC, datetime

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils.html import escape

from discussions.excerpts import plain_text
from discussions.models import Post, SearchDocument, Thread
from discussions.search.text import Terms, padded, search_terms
from topics.models import Outcome, Prompt, Topic

Kind = SearchDocument.Kind
BATCH = 1000
_UPDATED = ["group", "topic", "thread", "post", "author", "is_author_hidden", "is_visible", "role", "created_at",
            "title", "text", "terms"]


def _chatham_threads():
    return Exists(Prompt.objects.filter(thread_id=OuterRef("pk"), chatham_house=True))


def _threads(thread_ids) -> dict[int, Thread]:
    """The threads with their topics and whether each runs under the Chatham House rule, in one query."""
    threads = Thread.objects.filter(pk__in=thread_ids).select_related("topic").annotate(chatham=_chatham_threads())
    return {thread.pk: thread for thread in threads}


def thread_document(thread: Thread) -> SearchDocument:
    """`thread` needs `topic` and the `chatham` annotation (see _threads)."""
    return SearchDocument(
        kind=Kind.THREAD, object_id=thread.pk, group_id=thread.topic.group_id, topic_id=thread.topic_id,
        thread_id=thread.pk, author_id=thread.author_id, is_author_hidden=thread.chatham, is_visible=True,
        created_at=thread.created_at, title=thread.title, text="",
    )


def post_document(post: Post, thread: Thread) -> SearchDocument:
    return SearchDocument(
        kind=Kind.POST, object_id=post.pk, group_id=thread.topic.group_id, topic_id=thread.topic_id,
        thread_id=thread.pk, post_id=post.pk, author_id=post.author_id, is_author_hidden=thread.chatham,
        is_visible=post.deleted_at is None and post.hidden_at is None, role=post.role, created_at=post.created_at,
        title="", text=plain_text(post.body_html),
    )


def _text(*parts: str) -> str:
    """Plain text from HTML parts. A moderator's version in the other language (topics.bilingual) goes in the text,
    so either language finds the thing; the title keeps the original (it is at most as long as one)."""
    return " ".join(plain_text(html) for html in parts if html)


def prompt_document(prompt: Prompt, topic: Topic) -> SearchDocument:
    return SearchDocument(
        kind=Kind.PROMPT, object_id=prompt.pk, group_id=topic.group_id, topic_id=topic.pk, thread_id=prompt.thread_id,
        author_id=prompt.author_id, is_author_hidden=prompt.chatham_house, is_visible=prompt.is_published,
        created_at=prompt.published_at or prompt.created_at, title=prompt.title,
        text=_text(escape(prompt.title_translated), prompt.context_html, prompt.context_translated_html),
    )


def outcome_document(outcome: Outcome, topic: Topic, prompt: Prompt | None) -> SearchDocument:
    sections = (outcome.takeaways_html, outcome.open_questions_html, outcome.dissent_html,
                outcome.takeaways_translated_html, outcome.open_questions_translated_html,
                outcome.dissent_translated_html)
    return SearchDocument(
        kind=Kind.OUTCOME, object_id=outcome.pk, group_id=topic.group_id, topic_id=topic.pk,
        thread_id=prompt.thread_id if prompt else None, author_id=outcome.author_id,
        is_author_hidden=bool(prompt and prompt.chatham_house),
        is_visible=prompt is None or prompt.is_published, created_at=outcome.updated_at,
        title=prompt.title if prompt else topic.title,
        text=_text(escape(prompt.title_translated) if prompt else "", *sections),
    )


def briefing_document(topic: Topic) -> SearchDocument:
    return SearchDocument(
        kind=Kind.BRIEFING, object_id=topic.pk, group_id=topic.group_id, topic_id=topic.pk, author_id=None,
        is_visible=bool(topic.briefing.strip()), created_at=topic.last_activity_at or _epoch(),
        title=topic.title,
        text=_text(topic.briefing_html, topic.briefing_translated_html),
    )


def _epoch() -> datetime:
    """A briefing's date when its topic has seen no activity yet (the date filter needs one)."""
    return datetime(2000, 1, 1, tzinfo=UTC)


# PostgreSQL's vector: Latin words through 'english' (stemmed, so "prices" finds "price", and stop words left
# out), CJK bigrams through 'simple' (taken as they are: no stemmer or stop list applies to them, and the parser
# must not be trusted to know CJK letters in every locale). The title weighs more (A) than the text (B) in ranking.
_VECTORS_SQL = """
UPDATE discussions_searchdocument AS d SET vector =
    setweight(to_tsvector('english', u.title_latin), 'A') || setweight(to_tsvector('simple', u.title_cjk), 'A')
    || setweight(to_tsvector('english', u.text_latin), 'B') || setweight(to_tsvector('simple', u.text_cjk), 'B')
FROM unnest(%s::text[], %s::int[], %s::text[], %s::text[], %s::text[], %s::text[])
    AS u(kind, object_id, title_latin, title_cjk, text_latin, text_cjk)
WHERE d.kind = u.kind AND d.object_id = u.object_id
"""


def save_documents(documents: list[SearchDocument]) -> None:
    """Write the documents, replacing those of the same objects: two queries per BATCH on PostgreSQL, one on SQLite."""
    for start in range(0, len(documents), BATCH):
        batch = documents[start : start + BATCH]
        parts = []
        postgresql = connection.vendor == "postgresql"
        for document in batch:
            title, text = search_terms(document.title), search_terms(document.text)
            # PostgreSQL matches the vector, and the terms would double the rows a search reads: SQLite only.
            document.terms = "" if postgresql else padded(title.all + text.all)
            parts.append((document, title, text))
        SearchDocument.objects.bulk_create(
            batch, update_conflicts=True, unique_fields=["kind", "object_id"], update_fields=_UPDATED
        )
        if postgresql:
            _write_vectors(parts)


def _write_vectors(parts: list[tuple[SearchDocument, Terms, Terms]]) -> None:
    columns = [[], [], [], [], [], []]
    for document, title, text in parts:
        for column, value in zip(columns, (document.kind, document.object_id, " ".join(title.latin),
                                           " ".join(title.cjk), " ".join(text.latin), " ".join(text.cjk))):
            column.append(value)
    with connection.cursor() as cursor:
        cursor.execute(_VECTORS_SQL, columns)


# What the services call.


def index_posts(post_ids) -> None:
    """(Re)index posts after they were written, edited, hidden, shown again or removed."""
    posts = list(Post.objects.filter(pk__in=post_ids))
    threads = _threads({post.thread_id for post in posts})
    save_documents([post_document(post, threads[post.thread_id]) for post in posts])


def index_post(post: Post) -> None:
    index_posts([post.pk])


def index_thread(thread: Thread, *, with_posts: bool = False) -> None:
    """A thread's title document; with its posts too when what they share changed (topic, Chatham House)."""
    fresh = _threads([thread.pk])[thread.pk]
    documents = [thread_document(fresh)]
    if with_posts:
        documents += [post_document(post, fresh) for post in Post.objects.filter(thread_id=thread.pk)]
    save_documents(documents)


def index_prompt(prompt: Prompt) -> None:
    topic = Topic.objects.get(pk=prompt.topic_id)
    documents = [prompt_document(prompt, topic)]
    outcome = Outcome.objects.filter(prompt=prompt).first()
    if outcome is not None:  # its visibility follows the prompt's publishing
        documents.append(outcome_document(outcome, topic, prompt))
    save_documents(documents)


def index_outcome(outcome: Outcome) -> None:
    topic = Topic.objects.get(pk=outcome.topic_id)
    prompt = Prompt.objects.filter(pk=outcome.prompt_id).first() if outcome.prompt_id else None
    save_documents([outcome_document(outcome, topic, prompt)])


def index_briefing(topic: Topic) -> None:
    save_documents([briefing_document(topic)])


def forget(kind: str, object_id: int) -> None:
    SearchDocument.objects.filter(kind=kind, object_id=object_id).delete()


@transaction.atomic
def rebuild() -> int:
    """Index everything afresh (existing data, or after a change to how text is indexed); returns the count."""
    SearchDocument.objects.all().delete()
    count = 0
    topics = {topic.pk: topic for topic in Topic.objects.all()}
    prompts = {prompt.pk: prompt for prompt in Prompt.objects.all()}
    documents = [briefing_document(topic) for topic in topics.values()]
    documents += [prompt_document(prompt, topics[prompt.topic_id]) for prompt in prompts.values()]
    documents += [
        outcome_document(outcome, topics[outcome.topic_id], prompts.get(outcome.prompt_id))
        for outcome in Outcome.objects.all()
    ]
    threads = Thread.objects.select_related("topic").annotate(chatham=_chatham_threads())
    thread_by_id = {}
    for thread in threads.iterator(chunk_size=BATCH):
        thread_by_id[thread.pk] = thread
        documents.append(thread_document(thread))
    save_documents(documents)
    count += len(documents)
    documents = []
    for post in Post.objects.order_by("pk").iterator(chunk_size=BATCH):
        documents.append(post_document(post, thread_by_id[post.thread_id]))
        if len(documents) >= BATCH:
            save_documents(documents)
            count += len(documents)
            documents = []
    save_documents(documents)
    return count + len(documents)


def move_thread(*, thread: Thread, topic: Topic) -> None:
    """A thread moved to another topic of its group takes its posts, prompt and outcome documents along."""
    SearchDocument.objects.filter(thread_id=thread.pk).update(topic=topic)
