from core.errors import NotFound


class NotificationNotFound(NotFound):
    code = "notification-not-found"
    title = "No such notification"
