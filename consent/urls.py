from django.urls import path

from . import views

urlpatterns = [
    path("situations/<id:situation_id>/people/add/", views.person_add, name="person-add"),
    path("situations/<id:situation_id>/people/reveal/", views.reveal, name="person-reveal"),
    path("situations/<id:situation_id>/disclose/", views.disclose, name="situation-disclose"),
    path("situations/<id:situation_id>/consents/add/", views.consent_add, name="consent-add"),
    path("consents/<id:consent_id>/withdraw/", views.consent_withdraw, name="consent-withdraw"),
    path(
        "disclosures/<id:disclosure_id>/revoke/",
        views.disclosure_revoke,
        name="disclosure-revoke",
    ),
    path("privacy/", views.privacy_review, name="privacy-review"),
    path("privacy/policy/", views.policy_edit, name="privacy-policy"),
]
