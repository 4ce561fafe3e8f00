import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")

_site = get_wsgi_application()

from dailypapers.api.kept import KeptAnswers  # noqa: E402 (once Django is set up)

application = KeptAnswers(_site)
