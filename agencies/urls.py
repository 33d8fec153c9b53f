from django.urls import path

from . import views

# Under /tables/<table_id>/
table_urlpatterns = [
    path("members/", views.table_detail, name="table-members"),
    path("members/invite/", views.member_invite, name="member-invite"),
    path(
        "members/invitations/<id:invitation_id>/resend/",
        views.invitation_resend,
        name="invitation-resend",
    ),
    path(
        "members/invitations/<id:invitation_id>/approve/",
        views.invitation_approve,
        name="invitation-approve",
    ),
    path(
        "members/invitations/<id:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation-revoke",
    ),
    path(
        "members/<id:membership_id>/deactivate/",
        views.membership_set_active,
        {"active": False},
        name="membership-deactivate",
    ),
    path(
        "members/<id:membership_id>/reactivate/",
        views.membership_set_active,
        {"active": True},
        name="membership-reactivate",
    ),
    path(
        "members/tokens/<str:token_key>/revoke/",
        views.member_token_revoke,
        name="member-token-revoke",
    ),
    path("agreement/", views.agreement, name="agreement"),
    path("agreement/edit/", views.agreement_edit, name="agreement-edit"),
    path("orientation/", views.orientation, name="orientation"),
]

# Under /accounts/
account_urlpatterns = [
    path("two-factor/", views.otp_manage, name="otp-manage"),
    path("two-factor/setup/", views.otp_setup, name="otp-setup"),
    path("two-factor/verify/", views.otp_verify, name="otp-verify"),
    path("two-factor/backup-codes/", views.otp_backup_codes, name="otp-backup-codes"),
    path("api-tokens/<str:token_key>/revoke/", views.api_token_revoke, name="api-token-revoke"),
]

# Top level: the emailed link, then the token-less page that uses it.
invitation_urlpatterns = [
    path("invitations/accept/", views.invitation_accept, name="invitation-accept"),
    path("invitations/<str:token>/", views.invitation_open, name="invitation-open"),
]
