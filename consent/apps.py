from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "consent"
    verbose_name = _("Consent and identifying information")

    def ready(self):
        from . import crypto

        # A malformed key must stop the process at start-up, not at the first page view.
        crypto.validate_keys()
