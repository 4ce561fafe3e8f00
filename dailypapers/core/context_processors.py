from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "site_name": settings.SITE_NAME,
        "comment_max": settings.COMMENT_MAX_LENGTH,
        "contact_email": settings.CONTACT_EMAIL,
        # "Log in, then come back here": made once per page, where every card of a list
        # that offers a visitor Save, Follow or a vote would make it again
        "login_here": SimpleLazyObject(lambda: login_here(request)),
    }


def login_here(request: HttpRequest) -> str:
    """The log-in page's address, coming back to this page (as ``{% url 'account_login'
    %}?next={{ request.get_full_path|urlencode }}`` writes it)."""
    return f"{reverse('account_login')}?next={quote(request.get_full_path(), safe='/')}"
