"""A blank reply box's editor is rendered once and kept (discussions/reply_box.py); anything else is the reader's."""

import re

from django.test import Client

from discussions import services
from tests.factories import make_member, make_thread


def _editor(response) -> str:
    html = response.content.decode()
    return html[html.index('<section class="reply-box"'):html.index("</section>", html.index('class="reply-box"'))]


def test_every_member_gets_the_same_kept_editor_and_a_token_of_their_own(group, topic):
    thread = make_thread(topic=topic, author=make_member(group=group), body="Opening.")
    pages = []
    for _ in range(2):
        client = Client()
        client.force_login(make_member(group=group))
        pages.append(_editor(client.get(thread.get_absolute_url())))

    tokens = [re.search(r'name="submission_token" value="(\w+)"', page).group(1) for page in pages]
    assert tokens[0] != tokens[1]
    without_tokens = [re.sub(r'value="\w{32,}"', "", page) for page in pages]
    assert without_tokens[0] == without_tokens[1]
    assert 'name="body"' in pages[0] and 'data-mention-url="/' in pages[0]


def test_a_quote_fills_the_box_and_chinese_readers_get_chinese_labels(group, topic):
    author = make_member(group=group, display_name="Ada")
    thread = make_thread(topic=topic, author=author, body="Opening.")
    reply = services.publish_post(thread=thread, author=author, body="Prices fall in Q3.")
    client = Client()
    client.force_login(make_member(group=group))
    client.get(thread.get_absolute_url())  # the blank editor is kept

    quoting = _editor(client.get(f"{thread.get_absolute_url()}?quote={reply.pk}"))
    assert "Prices fall in Q3." in quoting

    chinese = Client()
    chinese.force_login(make_member(group=group, language="zh-hans"))
    in_chinese = _editor(chinese.get(thread.get_absolute_url()))
    assert "您的回复" in in_chinese and "Your reply" not in in_chinese
