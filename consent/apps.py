from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "consent"
    verbose_name = _("Consent and identifying information")

    def ready(self):
        from cases import pii, services, views

        from . import crypto
        from .services import revoke_on_conclusion, text_mentions_own_names
        from .views import identifying_panel

        # A malformed key must stop the process at start-up, not at the first page view.
        crypto.validate_keys()
        services.CONCLUSION_HOOKS.append(revoke_on_conclusion)
        pii.EXTRA_CHECKS.append(
            lambda situation, text: (
                _("the name of a person in this situation")
                if text_mentions_own_names(situation, text)
                else None
            )
        )
        views.DETAIL_HOOKS.append(identifying_panel)
