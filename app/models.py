"""Warehouse models: the tables of docs/specification.md#warehouse, plus API keys and staff users."""
from datetime import date, datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from app.extensions import db

BIGINT_MAX = 2**63 - 1  # the database's integer ranges: larger values are refused as bad input
INT_MAX = 2**31 - 1


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (a callable column default)."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timestamptz on PostgreSQL; on SQLite, stored as UTC and read back timezone-aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """Store in UTC; refuse a naive time."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a timezone-aware column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        """Give a time read from SQLite back its UTC zone."""
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class User(db.Model):
    """A rider; the details sent with their latest ride (by started_at) win."""

    __tablename__ = "users"

    user_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(sa.String(200))
    title: Mapped[str | None] = mapped_column(sa.String(20))
    first_name: Mapped[str | None] = mapped_column(sa.String(200))
    last_name: Mapped[str | None] = mapped_column(sa.String(200))
    gender: Mapped[str | None] = mapped_column(sa.String(50))
    date_of_birth: Mapped[date | None] = mapped_column(sa.Date)
    email: Mapped[str | None] = mapped_column(sa.String(320))
    height_cm: Mapped[float | None] = mapped_column(sa.Float)
    weight_kg: Mapped[float | None] = mapped_column(sa.Float)
    address_line1: Mapped[str | None] = mapped_column(sa.String(300))
    address_line2: Mapped[str | None] = mapped_column(sa.String(300))
    city: Mapped[str | None] = mapped_column(sa.String(200))
    postcode: Mapped[str | None] = mapped_column(sa.String(20))
    postcode_area: Mapped[str | None] = mapped_column(sa.String(4))
    account_created_on: Mapped[date | None] = mapped_column(sa.Date)
    original_source: Mapped[str | None] = mapped_column(sa.String(100))
    # started_at of the ride whose details these are: an older ride never overwrites them.
    details_from_ride_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Ride(db.Model):
    """One ride with every ride figure (docs/specification.md#ride-figures)."""

    __tablename__ = "rides"
    __table_args__ = (sa.UniqueConstraint("bike_serial", "started_at", name="uq_rides_bike_start"),
                      sa.Index("ix_rides_ride_date", "ride_date"),
                      # A day's list in its order, with what a page reads (GET /api/daily).
                      sa.Index("ix_rides_day_order", "ride_date", "started_at", "ride_id",
                               postgresql_include=["closed_at"]),
                      sa.Index("ix_rides_user_started", "user_id", "started_at"),
                      sa.Index("ix_rides_started_at", "started_at"))

    ride_id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                                         primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.user_id"))
    bike_serial: Mapped[str] = mapped_column(sa.String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ride_date: Mapped[date] = mapped_column(sa.Date)
    duration_s: Mapped[int] = mapped_column(sa.Integer)
    readings_count: Mapped[int] = mapped_column(sa.Integer)
    # Readings with a heart rate (> 0): the report weighs each ride's avg_heart_rate by them.
    hr_readings_count: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    avg_heart_rate: Mapped[float | None] = mapped_column(sa.Float)
    min_heart_rate: Mapped[int | None] = mapped_column(sa.Integer)
    max_heart_rate: Mapped[int] = mapped_column(sa.Integer)
    avg_power: Mapped[float] = mapped_column(sa.Float)
    max_power: Mapped[float] = mapped_column(sa.Float)
    avg_rpm: Mapped[float] = mapped_column(sa.Float)
    max_rpm: Mapped[int] = mapped_column(sa.Integer)
    avg_resistance: Mapped[float] = mapped_column(sa.Float)
    max_resistance: Mapped[int] = mapped_column(sa.Integer)
    energy_kj: Mapped[float] = mapped_column(sa.Float)
    calories_kcal: Mapped[float] = mapped_column(sa.Float)
    age_years: Mapped[int | None] = mapped_column(sa.Integer)
    age_band: Mapped[str | None] = mapped_column(sa.String(10))
    hr_limit_bpm: Mapped[float | None] = mapped_column(sa.Float)
    hr_formula: Mapped[str] = mapped_column(sa.String(10))
    hr_zone_z1_s: Mapped[int] = mapped_column(sa.Integer, default=0)
    hr_zone_z2_s: Mapped[int] = mapped_column(sa.Integer, default=0)
    hr_zone_z3_s: Mapped[int] = mapped_column(sa.Integer, default=0)
    hr_zone_z4_s: Mapped[int] = mapped_column(sa.Integer, default=0)
    hr_zone_z5_s: Mapped[int] = mapped_column(sa.Integer, default=0)
    trimp: Mapped[float] = mapped_column(sa.Float, default=0.0)
    alerts_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def hr_zone_seconds(self) -> dict[str, int]:
        """The seconds in each heart-rate zone, as the API shows them."""
        return {f"z{i}": getattr(self, f"hr_zone_z{i}_s") for i in range(1, 6)}


class RideReading(db.Model):
    """One second of a ride; deleted with its ride."""

    __tablename__ = "ride_readings"

    ride_id: Mapped[int] = mapped_column(sa.ForeignKey("rides.ride_id", ondelete="CASCADE"),
                                         primary_key=True)
    duration_s: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heart_rate: Mapped[int] = mapped_column(sa.SmallInteger)
    rpm: Mapped[int] = mapped_column(sa.SmallInteger)
    power: Mapped[float] = mapped_column(sa.Float)
    resistance: Mapped[int] = mapped_column(sa.SmallInteger)


class HrAlert(db.Model):
    """A heart-rate alert: raised once per (bike, ride start, duration_s), emailed once."""

    __tablename__ = "hr_alerts"
    __table_args__ = (sa.UniqueConstraint("bike_serial", "ride_started_at", "duration_s",
                                          name="uq_hr_alerts_reading"),
                      sa.Index("ix_hr_alerts_raised_at", "raised_at"))

    alert_id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                                          primary_key=True)
    bike_serial: Mapped[str] = mapped_column(sa.String(100))
    ride_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_s: Mapped[int] = mapped_column(sa.Integer)
    ride_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rides.ride_id", ondelete="SET NULL"))
    user_id: Mapped[int] = mapped_column(sa.BigInteger)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heart_rate: Mapped[int] = mapped_column(sa.SmallInteger)
    hr_limit_bpm: Mapped[float] = mapped_column(sa.Float)
    recipient: Mapped[str | None] = mapped_column(sa.String(320))
    # pending -> sent | stored (no mail server) | failed (retries exhausted)
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    subject: Mapped[str | None] = mapped_column(sa.String(300))
    body_text: Mapped[str | None] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Acknowledged by a member of staff: who, when and a note (the account may go; the time stays).
    acknowledged_by: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_users.staff_id", ondelete="SET NULL"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledgement_note: Mapped[str | None] = mapped_column(sa.String(500))


class DailyReport(db.Model):
    """The daily report for one date: HTML and PDF, rebuilt idempotently."""

    __tablename__ = "daily_reports"

    report_date: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    headline: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    html: Mapped[str] = mapped_column(sa.Text)
    pdf: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Each build replaces the stored files and adds one to the version.
    version: Mapped[int] = mapped_column(sa.Integer, default=1, server_default="1")
    # "provisional" while rides of the window are still in the live store, then "final".
    status: Mapped[str] = mapped_column(sa.String(12), default="final", server_default="final")
    in_progress: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The latest report email: "sent", or "stored" when there is no MAIL_SERVER.
    email_to: Mapped[str | None] = mapped_column(sa.String(320))
    email_status: Mapped[str | None] = mapped_column(sa.String(10))
    email_subject: Mapped[str | None] = mapped_column(sa.String(300))
    email_text: Mapped[str | None] = mapped_column(sa.Text)
    email_html: Mapped[str | None] = mapped_column(sa.Text)


class ApiKey(db.Model):
    """An API key: only its SHA-256 hash is stored."""

    __tablename__ = "api_keys"

    key_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    role: Mapped[str] = mapped_column(sa.String(10))
    key_prefix: Mapped[str] = mapped_column(sa.String(12))
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StaffUser(db.Model):
    """A member of staff who may log in to the staff pages."""

    __tablename__ = "staff_users"

    staff_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of every session's identity: raising it (logout, new password) ends all earlier sessions.
    session_version: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")


class RideDeletion(db.Model):
    """The audit trail of DELETE /api/ride/<id>: who deleted which ride, and what went with it."""

    __tablename__ = "ride_deletions"
    __table_args__ = (sa.Index("ix_ride_deletions_started_at", "started_at"),)

    deletion_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The key by name and prefix, copied: the audit outlives a revoked or removed key.
    key_id: Mapped[int | None] = mapped_column(sa.Integer)
    key_name: Mapped[str] = mapped_column(sa.String(100))
    key_prefix: Mapped[str] = mapped_column(sa.String(12))
    ride_id: Mapped[int] = mapped_column(sa.BigInteger)
    bike_serial: Mapped[str] = mapped_column(sa.String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ride_closed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int] = mapped_column(sa.BigInteger)
    rider_name: Mapped[str | None] = mapped_column(sa.String(200))
    readings_deleted: Mapped[int] = mapped_column(sa.Integer)
    alerts_kept: Mapped[int] = mapped_column(sa.Integer)
