"""What the browser journeys read from the emails the site sent."""

import re


def verification_link(mailoutbox) -> str:
    [message] = [m for m in mailoutbox if "confirm" in m.subject.lower() or "confirm" in m.body.lower()]
    return re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body).group(0)
