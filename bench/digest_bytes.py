"""Whether a change to the digest changes any digest: every due member's message, to the byte, before and after.

    .venv/bin/python bench/digest_bytes.py --write /tmp/digests-before.json     # on the code before the change
    .venv/bin/python bench/digest_bytes.py --compare /tmp/digests-before.json   # on the code after it

It creates a fresh PostgreSQL database (`roundtable_digest_bytes`, or `--database-name`; dropped at the end), seeds
it as the digest benchmark does (bench/digest.py, the same random seed) at a fixed time, then varies what shapes a
digest: a third of the members read in Chinese, a third chose English and a third never chose; one in seven chose
no time zone; some daily digests; prompts with a Chinese title and an outcome of a prompt; authors, thread titles,
a group name and notification messages with markup in them (escaped in HTML, as typed in plain text); notifications
of every kind sent to the digest. It then sends every due member's digest in batches, as the workers do, to Django's
in-memory mail, and writes (or compares) its subject, text, HTML, headers and MIME bytes (a hash; without Date and
Message-ID, and with one multipart boundary: they change each time).
"""

import argparse
import hashlib
import json
import os
import sys
from datetime import datetime, timedelta, timezone as tz
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 30, 7, 0, tzinfo=tz.utc)  # fixed: every date in the digests is the same run to run
HOSTILE = '<img src=x onerror="alert(1)"> & {{ x }} %(s)s'


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=3000)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="server, without database")
    parser.add_argument("--database-name", default="roundtable_digest_bytes")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", type=Path, help="write the messages to this file")
    action.add_argument("--compare", type=Path, help="compare the messages with this file's")
    return parser.parse_args()


def vary(rng_seed: int = 5) -> None:
    """Make the seeded week exercise every language, clock, setting and kind of text a digest shows."""
    import random

    from discussions.markdown import render_markdown
    from discussions.models import Notification, Post, Thread
    from groupsite.models import DigestFrequency, EmailChoice, NotificationKind, User
    from topics.models import Group, Outcome, Prompt

    rng = random.Random(rng_seed)
    users = list(User.objects.order_by("pk"))
    for user in users:
        user.language = ("zh-hans", "en-gb", "")[user.pk % 3]
        if user.pk % 7 == 0:
            user.timezone = ""
        if user.pk % 11 == 0:
            user.digest_frequency = DigestFrequency.DAILY
        if user.pk % 5 == 0:
            user.email_choices = {
                NotificationKind.NEW_THREAD: EmailChoice.DIGEST,
                NotificationKind.JOIN_APPROVED: EmailChoice.DIGEST,
                NotificationKind.WARNING: EmailChoice.DIGEST,
            }
        if user.pk % 13 == 0:
            user.display_name = f"{HOSTILE} {user.pk}"
    User.objects.bulk_update(users, ["language", "timezone", "digest_frequency", "email_choices", "display_name"])
    group = Group.objects.get(slug="manufacturing")
    group.name = f"Manufacturing <forum> & {{{{ friends }}}}"
    group.save(update_fields=["name"])
    Group.objects.filter(slug="china-car-t").update(timezone="Asia/Shanghai")
    for thread in Thread.objects.filter(prompt__isnull=True).order_by("pk")[::4]:
        Thread.objects.filter(pk=thread.pk).update(title=f"{thread.title} {HOSTILE}")
    for prompt in Prompt.objects.order_by("pk")[::2]:
        prompt.title_translated = f"提示问题 {prompt.pk}：会有什么变化？ <b>&</b>"
        prompt.save(update_fields=["title_translated"])
    prompt = Prompt.objects.order_by("pk").first()
    Outcome.objects.create(
        topic=prompt.topic,
        prompt=prompt,
        takeaways=f"Takeaway with **markup** and {HOSTILE}",
        takeaways_html=render_markdown(f"Takeaway with **markup** and {HOSTILE}"),
        takeaways_translated="中文要点",
        takeaways_translated_html=render_markdown("中文要点"),
        author=prompt.author,
        created_at=NOW - timedelta(hours=5),
    )
    Post.objects.filter(pk__in=list(Post.objects.order_by("pk").values_list("pk", flat=True)[::9])).update(
        body_html=render_markdown(f"A reply with a long line {'word ' * 300} and {HOSTILE}")
    )
    threads = list(Thread.objects.select_related("topic").order_by("pk"))
    notices = []
    for user in rng.sample([user for user in users if user.pk % 5 == 0], k=len(users) // 20):
        thread = rng.choice(threads)
        kind = rng.choice([NotificationKind.NEW_THREAD, NotificationKind.JOIN_APPROVED, NotificationKind.WARNING])
        notices.append(
            Notification(
                user=user,
                kind=kind,
                actor=rng.choice(users),
                group_id=thread.topic.group_id,
                thread=None if kind == NotificationKind.JOIN_APPROVED else thread,
                message=HOSTILE if kind == NotificationKind.WARNING else "",
                created_at=NOW - timedelta(hours=rng.randrange(1, 100)),
            )
        )
    Notification.objects.bulk_create(notices)


def mime_bytes(mime) -> bytes:
    """The message's bytes, with its multipart boundary (random each time) made the same."""
    data = mime.as_bytes()
    return data.replace(mime.get_boundary().encode(), b"BOUNDARY")


def messages() -> dict:
    """{user id: what the member's message is}, made as the workers make them (send_digests, batch by batch), with
    Django's in-memory email backend in place of the outbox."""
    from django.core import mail

    from discussions import digest
    from groupsite.models import User

    due = digest.due_member_ids(now=NOW)
    result = {}
    for start in range(0, len(due), ARGS.batch_size):
        mail.outbox = []
        users = User.objects.filter(pk__in=due[start : start + ARGS.batch_size], is_active=True)
        batch = digest.send_digests(users, now=NOW)
        result |= {str(user_id): None for user_id in batch.empty}
        recipients = {user.email: user.pk for user in users}
        for message in mail.outbox:
            mime = message.message()
            del mime["Date"], mime["Message-ID"]
            html, kind = message.alternatives[0]
            result[str(recipients[message.to[0]])] = {
                "subject": message.subject,
                "body": message.body,
                "body_type": type(message.body).__name__,
                "html": str(html),
                "html_type": kind,
                "headers": [list(header) for header in sorted(message.extra_headers.items())],
                "mime_sha256": hashlib.sha256(mime_bytes(mime)).hexdigest(),
                "quoted_printable": "quoted-printable" in str(mime),
            }
    return result


def main() -> None:
    global ARGS
    ARGS = parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.services import recreate_database

    os.environ["DJANGO_SETTINGS_MODULE"] = "groupsite.settings"
    os.environ["DATABASE_URL"] = f"{ARGS.postgres}/{ARGS.database_name}"
    os.environ["LOG_LEVEL"] = "WARNING"
    for name in ("REDIS_URL",):
        os.environ.pop(name, None)
    recreate_database(ARGS.postgres, ARGS.database_name)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    from bench.digest import seed

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.core import signing

    # Unsubscribe links are signed with the time: the same time for every run.
    signing.TimestampSigner.timestamp = lambda signer: signing.b62_encode(int(NOW.timestamp()))
    try:
        call_command("migrate", verbosity=0)
        seed(ARGS.members, NOW)
        vary()
        found = messages()
    finally:
        connections.close_all()
        recreate_database(ARGS.postgres, ARGS.database_name, drop_only=True)
    sent = sum(1 for message in found.values() if message is not None)
    chinese = sum(1 for message in found.values() if message and "摘要" in message["subject"])
    encoded = sum(1 for message in found.values() if message and message["quoted_printable"])
    print(f"{len(found)} due members, {sent} digests ({chinese} in Chinese, {encoded} with a quoted-printable part)")
    if ARGS.write:
        ARGS.write.write_text(json.dumps(found, ensure_ascii=False, indent=0))
        print(f"written to {ARGS.write}")
        return
    before = json.loads(ARGS.compare.read_text())
    differing = sorted((key for key in before.keys() | found.keys() if before.get(key) != found.get(key)), key=int)
    if not differing:
        print(f"the same as {ARGS.compare}, to the byte")
        return
    print(f"{len(differing)} digests differ from {ARGS.compare}, e.g. member {differing[0]}:")
    old, new = before.get(differing[0]) or {}, found.get(differing[0]) or {}
    import difflib

    for part in ("subject", "body", "body_type", "html", "headers", "mime_sha256"):
        if old.get(part) != new.get(part):
            lines = difflib.unified_diff(
                str(old.get(part)).splitlines(), str(new.get(part)).splitlines(), part, part, lineterm="", n=1
            )
            print("\n".join(list(lines)[:40]))
    sys.exit(1)


if __name__ == "__main__":
    main()
