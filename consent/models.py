"""Identifying information (encrypted), Filter 3 disclosures, consent, access logs, audit chain.

Nothing here holds identifying information in plaintext: ``IdentifyingInfo.ciphertext`` is a Fernet
token, ``blind_index`` an HMAC. Consent records describe *who* consented by role, not by name.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, Table
from cases.models import Situation

from . import crypto


class IdentifierField(models.TextChoices):
    GIVEN_NAME = "given_name", _("Given name")
    FAMILY_NAME = "family_name", _("Family name")
    FAMILY_INITIAL = "family_initial", _("Family name initial")
    DATE_OF_BIRTH = "date_of_birth", _("Date of birth")
    AGE = "age", _("Age")
    ADDRESS = "address", _("Address")
    PHONE = "phone", _("Phone")


DEFAULT_SHARED_FIELDS = ["given_name", "family_name", "date_of_birth", "address"]


def default_shared_fields():
    return list(DEFAULT_SHARED_FIELDS)


class DisclosurePolicy(models.Model):
    """Which identifiers a table shares at Filter 3 (some share name, date of birth and address;
    some only a first name and last initial)."""

    table = models.OneToOneField(Table, on_delete=models.CASCADE, related_name="disclosure_policy")
    shared_fields = models.JSONField(
        _("identifiers shared at Filter 3"), default=default_shared_fields
    )
    retention_days = models.PositiveSmallIntegerField(
        _("days identifying information is kept after conclusion"), default=30
    )

    class Meta:
        verbose_name = _("disclosure policy")
        verbose_name_plural = _("disclosure policies")

    def __str__(self):
        return f"{self.table}: {', '.join(self.shared_fields)}"


class IdentifyingInfo(models.Model):
    """One person in a situation. Entered by the originating agency; encrypted at rest."""

    situation = models.ForeignKey(
        Situation, on_delete=models.CASCADE, related_name="identifying_info"
    )
    ciphertext = models.TextField()
    key_id = models.CharField(max_length=12, db_index=True)
    blind_index = models.CharField(max_length=64, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # When this person's repeat marker was computed (once, after Filter 1): the flag is on this
    # row, which the purge deletes; the marker itself carries no link back to the situation.
    repeat_marker_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("identifying information")
        verbose_name_plural = _("identifying information")

    def __str__(self):
        return f"Identifying information #{self.pk} of situation {self.situation_id}"

    def decrypt(self) -> dict:
        """The person's fields; raises crypto.DecryptionError for a wrong-key row."""
        return crypto.decrypt_json(self.ciphertext)

    def encrypt(self, data: dict) -> None:
        clean = {k: (v or "").strip() for k, v in data.items()}
        self.ciphertext = crypto.encrypt_json(clean)
        self.key_id = crypto.key_fingerprint()
        self.blind_index = crypto.blind_index(
            clean.get("given_name", ""),
            clean.get("family_name", ""),
            clean.get("date_of_birth", ""),
        )


class ConsentKind(models.TextChoices):
    SERVICES = "services", _("Consent to services")
    DISCLOSURE = "disclosure", _("Consent to disclose to other agencies")


class ConsentMethod(models.TextChoices):
    WRITTEN = "written", _("Written")
    VERBAL = "verbal", _("Verbal")


class ConsentGivenBy(models.TextChoices):
    SUBJECT = "subject", _("The person themself")
    PARENT = "parent", _("Parent or guardian")
    SDM = "sdm", _("Substitute decision-maker")


class ConsentRecord(models.Model):
    situation = models.ForeignKey(Situation, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(_("kind"), max_length=12, choices=ConsentKind.choices)
    given_by = models.CharField(_("given by"), max_length=10, choices=ConsentGivenBy.choices)
    method = models.CharField(_("how"), max_length=10, choices=ConsentMethod.choices)
    scope_agencies = models.ManyToManyField(
        Agency, blank=True, related_name="+", verbose_name=_("agencies covered")
    )
    scope_fields = models.JSONField(_("identifiers covered"), default=list, blank=True)
    given_on = models.DateField(_("date given"))
    expires_on = models.DateField(_("expires"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawal_note = models.CharField(_("withdrawal note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")

    def __str__(self):
        return f"{self.get_kind_display()} ({self.situation_id})"

    def is_valid_on(self, day) -> bool:
        return (
            self.withdrawn_at is None
            and self.given_on <= day
            and (self.expires_on is None or self.expires_on >= day)
        )


class DisclosureBasis(models.TextChoices):
    CONSENT = "consent", _("Consent on record")
    IMMINENT_RISK = "imminent_risk", _("Without consent — imminent risk of serious harm")


class RevocationReason(models.TextChoices):
    CONCLUDED = "concluded", _("Situation concluded")
    RETENTION = "retention", _("Retention period ended")
    CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent withdrawn")
    CONSENT_EXPIRED = "consent_expired", _("Consent expired")
    MISTAKEN = "mistaken", _("Revoked by the chair or the privacy officer")


class Disclosure(models.Model):
    """A Filter 3 disclosure: who shared which identifiers with which agencies, on what basis."""

    situation = models.ForeignKey(Situation, on_delete=models.CASCADE, related_name="disclosures")
    agencies = models.ManyToManyField(Agency, related_name="disclosures")
    fields = models.JSONField(default=list)
    basis = models.CharField(max_length=16, choices=DisclosureBasis.choices)
    consent = models.ForeignKey(
        ConsentRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="disclosures"
    )
    justification = models.TextField(blank=True)
    disclosed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    disclosed_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revocation_reason = models.CharField(
        max_length=20, choices=RevocationReason.choices, blank=True
    )
    revocation_note = models.CharField(_("why access was revoked"), max_length=300, blank=True)

    class Meta:
        ordering = ["-disclosed_at", "-id"]
        verbose_name = _("disclosure")
        verbose_name_plural = _("disclosures")

    def __str__(self):
        return f"Disclosure #{self.pk} of situation {self.situation_id}"


class RepeatMarker(models.Model):
    """ "Presented at this table before": a keyed token of a person's normalised name and date of
    birth, per table, kept for 12 months after the presentation — past the identifying-information
    purge. Deliberately no link to the situation: only the table and the date."""

    table = models.ForeignKey(Table, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64)
    presented_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("repeat marker")
        verbose_name_plural = _("repeat markers")
        indexes = [models.Index(fields=["table", "token", "presented_on"])]

    def __str__(self):
        return f"Repeat marker #{self.pk} ({self.table_id}, {self.presented_on})"


class RepeatMarkerFlag(models.Model):
    """An unusual volume of repeat-marker computations by one person in one day: refused, and
    listed for the table's privacy officers (ids and counts only)."""

    table = models.ForeignKey(Table, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    situation = models.ForeignKey(
        Situation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested = models.PositiveIntegerField(default=0)
    computed_today = models.PositiveIntegerField(default=0)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("repeat-marker volume flag")
        verbose_name_plural = _("repeat-marker volume flags")

    def __str__(self):
        return f"Flag #{self.pk}: user {self.user_id} at {self.at:%Y-%m-%d %H:%M}"


class AccessEvent(models.Model):
    """Every time someone sees identifying information."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    agency = models.ForeignKey(Agency, null=True, on_delete=models.SET_NULL, related_name="+")
    situation = models.ForeignKey(Situation, on_delete=models.CASCADE, related_name="access_events")
    action = models.CharField(max_length=20, default="reveal")
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("access event")
        verbose_name_plural = _("access events")

    def __str__(self):
        return f"{self.user_id} {self.action} {self.situation_id} at {self.at:%Y-%m-%d %H:%M}"
