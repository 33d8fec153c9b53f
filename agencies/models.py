from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Sector(models.Model):
    """A service sector (police, housing, ...). Seeded by a data migration; codes are stable."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    ordering = models.PositiveSmallIntegerField(_("ordering"), default=0)

    class Meta:
        ordering = ["ordering", "name"]
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")

    def __str__(self):
        return self.name


class Agency(models.Model):
    """An organisation that sits at one or more tables (e.g. a police service)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    sector = models.ForeignKey(
        Sector, on_delete=models.PROTECT, related_name="agencies", verbose_name=_("sector")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self):
        return self.name


class Table(models.Model):
    """One community's Situation Table. Every query in the product is scoped by table."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    code = models.CharField(
        _("code"),
        max_length=8,
        unique=True,
        help_text=_("Short prefix for situation numbers, e.g. NST for NST-2026-0042."),
    )
    description = models.TextField(_("description"), blank=True)
    agencies = models.ManyToManyField(
        Agency, related_name="tables", blank=True, verbose_name=_("member agencies")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("table")
        verbose_name_plural = _("tables")

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    CHAIR = "chair", _("Chair")
    COORDINATOR = "coordinator", _("Coordinator")
    REPRESENTATIVE = "representative", _("Agency representative")
    PRIVACY_OFFICER = "privacy_officer", _("Privacy officer")


# Roles granted only with a second person's approval; roles whose members may give it.
APPROVAL_ROLES = frozenset({Role.CHAIR, Role.PRIVACY_OFFICER})
APPROVER_ROLES = frozenset({Role.CHAIR, Role.COORDINATOR, Role.PRIVACY_OFFICER})


class Membership(models.Model):
    """A user's seat at one table, on behalf of one agency, with one role."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    table = models.ForeignKey(
        Table, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("table")
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("agency")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["table__name", "role", "user__username"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "table"], name="one_membership_per_table"),
        ]
        indexes = [models.Index(fields=["table", "agency", "is_active"])]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} ({self.agency}) @ {self.table}"

    def clean(self):
        if (
            self.table_id
            and self.agency_id
            and not self.table.agencies.filter(pk=self.agency_id).exists()
        ):
            raise ValidationError({"agency": _("This agency is not a member of the table.")})


class Invitation(models.Model):
    """A coordinator's invitation for one person to take a seat at a table.

    Only a SHA-256 hash of the token is stored: someone who reads the database (or a backup)
    cannot turn a pending invitation into an account. The link works once and expires.
    """

    table = models.ForeignKey(
        Table, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("table")
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="invitations", verbose_name=_("agency")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    email = models.EmailField(_("email"))
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="invitations_sent",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    email_sent_at = models.DateTimeField(_("email sent"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations_accepted",
        verbose_name=_("accepted by"),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    # Chairs and privacy officers reveal, disclose and audit: their invitation (a new seat or a
    # promotion) is sent only once a second privileged member of the table approves it.
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitations_approved",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        indexes = [models.Index(fields=["table", "accepted_at", "revoked_at"])]

    def __str__(self):
        return f"{self.get_role_display()} ({self.agency}) @ {self.table}"

    @property
    def needs_approval(self) -> bool:
        return self.role in APPROVAL_ROLES

    @property
    def awaiting_approval(self) -> bool:
        return self.needs_approval and self.approved_at is None

    @property
    def is_pending(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


class AgreementVersion(models.Model):
    """One published version of a table's information-sharing agreement / terms of reference.

    Versions are never edited: a change is a new version, and everyone must accept it again.
    """

    table = models.ForeignKey(
        Table, on_delete=models.CASCADE, related_name="agreement_versions", verbose_name=_("table")
    )
    version = models.PositiveIntegerField(_("version"))
    text = models.TextField(_("text"))
    published_at = models.DateTimeField(_("published"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="agreements_published",
        verbose_name=_("published by"),
    )

    class Meta:
        ordering = ["table", "-version"]
        verbose_name = _("agreement version")
        verbose_name_plural = _("agreement versions")
        constraints = [
            models.UniqueConstraint(fields=["table", "version"], name="one_agreement_version"),
        ]

    def __str__(self):
        return f"{self.table} — v{self.version}"


class AgreementAcceptance(models.Model):
    """A person's acceptance of one agreement version (kept as evidence; never edited)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="agreement_acceptances",
        verbose_name=_("user"),
    )
    version = models.ForeignKey(
        AgreementVersion,
        on_delete=models.PROTECT,
        related_name="acceptances",
        verbose_name=_("agreement version"),
    )
    accepted_at = models.DateTimeField(_("accepted"))

    class Meta:
        ordering = ["-accepted_at"]
        verbose_name = _("agreement acceptance")
        verbose_name_plural = _("agreement acceptances")
        constraints = [
            models.UniqueConstraint(fields=["user", "version"], name="accept_version_once"),
        ]

    def __str__(self):
        return f"{self.user} — {self.version}"


class TokenScope(models.TextChoices):
    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")


class ApiTokenPolicy(models.Model):
    """What an API token (django-rest-knox) may do, beside knox's digest and expiry.

    Rights come from the person's memberships at each request, as for the browser; the token adds
    limits only: read-only or read-write, whether it was made from a session that passed the
    second factor, and when it was last used (an idle token expires).
    """

    token = models.OneToOneField(
        "knox.AuthToken",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="policy",
        verbose_name=_("token"),
    )
    scope = models.CharField(
        _("scope"), max_length=8, choices=TokenScope.choices, default=TokenScope.READ
    )
    second_factor = models.BooleanField(_("made after the second factor"), default=False)
    last_used_at = models.DateTimeField(_("last used"))

    class Meta:
        verbose_name = _("API token policy")
        verbose_name_plural = _("API token policies")

    def __str__(self):
        return f"{self.token_id[:8]}… ({self.scope})"
