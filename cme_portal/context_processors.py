from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    """Values every page needs: demo mode and the signed-in user's roles."""
    user = getattr(request, "user", None)
    return {
        "DEMO_MODE": settings.DEMO_MODE,
        "demo_password": settings.DEMO_PASSWORD if settings.DEMO_MODE else "",
        "user_roles": user.roles if user is not None and user.is_authenticated else frozenset(),
    }
