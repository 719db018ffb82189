from .notifications import notification_unread_count


def notifications(request) -> dict:
    """The unread count the navigation shows to everyone signed in: one query, made only when a
    page renders the navigation (the template calls the function)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notifications_unread": lambda: notification_unread_count(user)}
