from django.conf import settings
from django.http import HttpRequest

from .users import DEMO_USERS, DemoUser


def demo_logins(request: HttpRequest) -> dict[str, tuple[DemoUser, ...]]:
    """The demo logins for the login page, only while demo mode is on (nothing otherwise)."""
    return {"demo_logins": DEMO_USERS} if settings.DEMO_MODE else {}
