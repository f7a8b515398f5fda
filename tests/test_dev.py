"""groupsite/dev.py, the runner a fresh clone starts with."""

import re
import urllib.error
import urllib.parse
import urllib.request
from http import HTTPStatus

import pytest
from django.conf import settings
from django.urls import reverse

from groupsite import dev
from groupsite.models import EMAIL_DELIVERY_TASK, OutboxMessage
from tests import factories, subprocesses


def test_dev_up_creates_the_folder_beat_keeps_its_schedule_in_even_on_postgresql(tmp_path):
    var_dir = tmp_path / "fresh-clone" / "var"
    env = {"ROUNDTABLE_VAR_DIR": str(var_dir), "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/roundtable"}
    assert dev.prepare_local_state(env) == var_dir
    assert var_dir.is_dir()


def test_the_test_command_hands_pytest_options_on_to_pytest():
    assert dev.parse_arguments(["test", "-k", "invitation", "-x", "--junitxml=report.xml"]).pytest_args == [
        "-k",
        "invitation",
        "-x",
        "--junitxml=report.xml",
    ]
    with pytest.raises(SystemExit):
        dev.parse_arguments(["up", "--verbose"])


def test_links_follow_the_host_and_port_the_server_runs_on():
    assert dev.serve_environment({}, "127.0.0.1", "8101")["SITE_URL"] == "http://127.0.0.1:8101"
    assert dev.serve_environment({}, "0.0.0.0", "8101")["SITE_URL"] == "http://localhost:8101"
    named = dev.serve_environment({}, "roundtable.lan", "8101")
    assert named["SITE_URL"] == "http://roundtable.lan:8101"
    assert "roundtable.lan" in named["ALLOWED_HOSTS"].split(",")


def test_an_explicit_site_url_wins_over_host_and_port():
    env = dev.serve_environment({"SITE_URL": "https://roundtable.example.org"}, "127.0.0.1", "8101")
    assert env["SITE_URL"] == "https://roundtable.example.org"


@pytest.mark.worker  # starts a real web server process, as `dev.py up` does
def test_a_link_in_an_email_from_the_dev_server_on_another_port_opens_the_page(transactional_db, tmp_path):
    """The web server `dev.py up --port <port>` starts sends an invitation; its link reaches that same server."""
    group = factories.make_group(name="China CAR-T market", slug="china-car-t")
    moderator = factories.make_moderator(group=group)
    with subprocesses.dev_web_server(tmp_path) as base:
        session = f"{settings.SESSION_COOKIE_NAME}={subprocesses.session_key_for(moderator)}"
        invitations = f"{base}{reverse('topics:invitations', args=[group.slug])}"
        with urllib.request.urlopen(urllib.request.Request(invitations, headers={"Cookie": session})) as page:
            [csrf_cookie] = [
                cookie.split(";")[0]
                for cookie in page.headers.get_all("Set-Cookie")
                if cookie.startswith(f"{settings.CSRF_COOKIE_NAME}=")
            ]
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode()).group(1)
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "email": "newcomer@example.org"}).encode()
        headers = {"Cookie": f"{session}; {csrf_cookie}", "Referer": invitations}
        urllib.request.urlopen(urllib.request.Request(invitations, form, headers=headers)).close()
        # The server's email waits in the outbox for a worker; the test reads it there.
        [queued] = OutboxMessage.objects.filter(task=EMAIL_DELIVERY_TASK)
        link = re.search(r"https?://\S+/invite/\S+/", queued.args[0]["body"]).group(0)
        assert link.startswith(f"{base}/")
        with urllib.request.urlopen(link, timeout=10) as page:
            assert page.status == HTTPStatus.OK
            assert "China CAR-T market" in page.read().decode()


