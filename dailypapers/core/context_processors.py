from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "site_name": settings.SITE_NAME,
        "comment_max": settings.COMMENT_MAX_LENGTH,
        "contact_email": settings.CONTACT_EMAIL,
    }
