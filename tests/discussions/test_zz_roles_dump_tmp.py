from discussions import services
from tests.factories import make_open_prompt
def test_dump(client, thread, member, topic):
    services.publish_post(thread=thread, author=member, body="Ev", role="evidence", source_url="https://example.org/x", evidence_as_of="2024-01-02")
    client.force_login(member)
    html = client.post(f"/threads/{thread.pk}/reply/", {"body": "x", "role": "evidence"}).content.decode()
    open("/tmp/roles_thread.html","w").write(html)
    open("/tmp/roles_topic.html","w").write(client.get(topic.get_absolute_url()).content.decode())
