from tests.discussions.test_digest import settled, now, open_prompt, reply, start_thread, timedelta, polls, factories, Notification, NotificationKind, Outcome, digest

def test_show(settled, topic, member, moderator, now, private_group):
    prompt = open_prompt(topic, moderator, now - timedelta(days=2), title="Who pays for CAR-T?", closes_at=now + timedelta(hours=30))
    p2 = open_prompt(topic, moderator, now - timedelta(days=1), title="Will prices fall?")
    poll = polls.save_poll(prompt=p2, kind="choice", options=["Yes", "No"])
    a = reply(p2.thread, moderator, now - timedelta(hours=5), body="**Mei** wrote:\n\n> x\n\nI think prices will fall because of *competition* & volume-based procurement in the provinces, which is a long sentence that goes on and on to test the wrapping of the plain text body in the email digest.")
    b = reply(p2.thread, moderator, now - timedelta(hours=4), body="Quoting", quoted_post=a)
    t = start_thread(topic, moderator, now - timedelta(days=1), title="Manufacturing capacity")
    reply(t, factories.make_member(group=settled, display_name="Newbie"), now - timedelta(hours=3))
    Notification.objects.create(user=member, kind=NotificationKind.REPLY, actor=moderator, group=settled, thread=t, post=t.posts.last(), created_at=now - timedelta(hours=3))
    Outcome.objects.create(topic=topic, prompt=prompt, takeaways="Prices will **fall** by 2031.", author=moderator, created_at=now - timedelta(hours=1))
    member.timezone = "Asia/Shanghai"; member.save()
    m = digest.build_digest_message(member, digest.digest_context(member, now=now))
    print(m.subject); print(m.body); open("/tmp/helperd/digest.html","w").write(m.alternatives[0][0])
