from django.http import HttpRequest

from agora.notifications.selectors import unread_count


def notifications(request: HttpRequest) -> dict[str, int]:
    """The bell's unread count: one COUNT query for members, nothing for visitors."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notification_unread_count": unread_count(user=user)}
