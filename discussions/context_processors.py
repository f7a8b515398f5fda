from django.utils.functional import SimpleLazyObject

from discussions import notifications


def unread_notifications(request) -> dict:
    """The header's unread badge: one COUNT, and only on pages that show it (the value is computed when used)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notification_count": SimpleLazyObject(lambda: notifications.unread_count(user))}
