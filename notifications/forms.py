from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class PreferencesForm(forms.Form):
    weekly_digest = forms.BooleanField(
        label=_("Email me a weekly digest"),
        required=False,
        help_text=_(
            "Your agency's open tasks and the next meeting, every week. Meeting reminders and "
            "deadline notices are always sent: the table relies on them."
        ),
    )
    language = forms.ChoiceField(
        label=_("Language of my emails"),
        required=False,
        choices=[("", _("Site default"))] + [(code, name) for code, name in settings.LANGUAGES],
    )

    @classmethod
    def for_preference(cls, preference, data=None):
        return cls(
            data=data,
            initial={
                "weekly_digest": not preference.digest_opt_out,
                "language": preference.language,
            },
        )
