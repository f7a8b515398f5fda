"""A prompt's opening post no longer states its closing time (topics.scheduling._opening_post): the stored line
went stale when the prompt was closed early or reopened. The thread's prompt panel says it, from the prompt."""

import re

from django.db import migrations

CLOSING_LINE_MARKDOWN = re.compile(r"\n*\*Open for answers until [^*\n]*\.\*\s*\Z")
CLOSING_LINE_HTML = re.compile(r"\s*<p><em>Open for answers until [^<]*\.</em></p>\s*\Z")


def drop_closing_lines(apps, schema_editor):
    Post = apps.get_model("discussions", "Post")
    posts = Post.objects.filter(number=1, body__startswith="**Prompt:** ", body__contains="*Open for answers until ")
    for post in posts.iterator():
        body = CLOSING_LINE_MARKDOWN.sub("", post.body)
        body_html = CLOSING_LINE_HTML.sub("", post.body_html)
        if body != post.body and body_html != post.body_html:
            Post.objects.filter(pk=post.pk).update(body=body, body_html=body_html)


class Migration(migrations.Migration):
    dependencies = [("discussions", "0005_flags_and_hidden_posts")]

    operations = [migrations.RunPython(drop_closing_lines, migrations.RunPython.noop)]
