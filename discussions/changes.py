"""Announcing a change to what a thread page shows, so that no cached piece of it is read again.

Every service function that alters a thread page calls one of these (house style: no signals). Its thread, its
topic (counts, last activity) and its group (counts) move on (groupsite/freshness.py); the topic and group are
read afresh inside the change's transaction, so a thread that just moved announces its new home.
"""

from discussions.models import Thread
from groupsite import freshness


def _announce(threads, also_topics=()) -> None:
    homes = list(threads.values_list("pk", "topic_id", "topic__group_id"))
    freshness.changed(
        threads=[pk for pk, _, _ in homes],
        topics=[topic_id for _, topic_id, _ in homes] + list(also_topics),
        groups=[group_id for _, _, group_id in homes],
    )


def thread_changed(thread_id: int, *, also_topics=()) -> None:
    """The thread's page changed (a post, its title, its state). `also_topics`: a topic it has just left."""
    _announce(Thread.objects.filter(pk=thread_id), also_topics)


def post_changed(post) -> None:
    thread_changed(post.thread_id)


def prompt_changed(prompt_id: int) -> None:
    """The prompt's thread shows it (the prompt panel, the opening post); an unpublished prompt has none."""
    _announce(Thread.objects.filter(prompt__pk=prompt_id))
