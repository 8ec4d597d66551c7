"""Request and response schemas of the API (docs/specification.md#rest-api)."""
from marshmallow import Schema, fields, validate

from app.blueprints.api.fields import FlexibleDate, Rounded
from app.domain.rider import AGE_BANDS
from app.services.leaderboards import API_PERIODS, METRICS

BIGINT_MAX = 2**63 - 1  # the database's integer ranges: larger values are refused as bad input
INT_MAX = 2**31 - 1


class ReadingSchema(Schema):
    """One second of a ride."""

    duration_s = fields.Integer(metadata={"example": 12})
    recorded_at = fields.AwareDateTime(metadata={"example": "2022-07-06T10:00:12.5+00:00"})
    heart_rate = fields.Integer(metadata={"example": 131})
    rpm = fields.Integer(metadata={"example": 48})
    power = Rounded(metadata={"example": 31.63})
    resistance = fields.Integer(metadata={"example": 30})


class ZoneSecondsSchema(Schema):
    """Seconds of heart-rate readings in each zone."""

    z1 = fields.Integer()
    z2 = fields.Integer()
    z3 = fields.Integer()
    z4 = fields.Integer()
    z5 = fields.Integer()


class RideSchema(Schema):
    """A ride with every ride figure (docs/specification.md#ride-figures)."""

    ride_id = fields.Integer(metadata={"example": 1})
    user_id = fields.Integer(metadata={"example": 100})
    bike_serial = fields.String(metadata={"example": "SD2e4219ce4a"})
    started_at = fields.AwareDateTime(metadata={"example": "2022-07-06T10:00:00+00:00"})
    ended_at = fields.AwareDateTime()
    ride_date = fields.Date(metadata={"example": "2022-07-06"})
    duration_s = fields.Integer(metadata={"example": 498})
    readings_count = fields.Integer(metadata={"example": 498})
    avg_heart_rate = Rounded(allow_none=True, metadata={"example": 128.4})
    min_heart_rate = fields.Integer(allow_none=True)
    max_heart_rate = fields.Integer()
    avg_power = Rounded()
    max_power = Rounded()
    avg_rpm = Rounded()
    max_rpm = fields.Integer()
    avg_resistance = Rounded()
    max_resistance = fields.Integer()
    energy_kj = Rounded(metadata={"example": 41.7})
    calories_kcal = Rounded(metadata={"example": 41.53})
    age_years = fields.Integer(allow_none=True)
    age_band = fields.String(allow_none=True, metadata={"example": "25-34"})
    hr_limit_bpm = Rounded(allow_none=True, metadata={"example": 187.0})
    hr_formula = fields.String(metadata={"example": "tanaka"})
    hr_zone_seconds = fields.Nested(ZoneSecondsSchema)
    trimp = Rounded()
    alerts_count = fields.Integer()


class RideWithReadingsSchema(RideSchema):
    """A ride and, with ?expand=readings, its readings."""

    readings = fields.List(fields.Nested(ReadingSchema))


class RideQueryArgsSchema(Schema):
    """?expand=readings."""

    expand = fields.String(validate=validate.OneOf(["readings"]),
                           metadata={"description": "`readings` adds the ride's readings"})


class RidesFilterSchema(Schema):
    """Filters of GET /api/rides."""

    user_id = fields.Integer(validate=validate.Range(min=0, max=BIGINT_MAX))
    bike_serial = fields.String(validate=validate.Length(min=1, max=100))
    date_from = FlexibleDate(metadata={"description": "first ride_date (DD-MM-YYYY or YYYY-MM-DD)"})
    date_to = FlexibleDate(metadata={"description": "last ride_date, inclusive"})
    min_duration_s = fields.Integer(validate=validate.Range(min=0, max=INT_MAX))
    min_avg_power = fields.Float(validate=validate.Range(min=0, max=5000))
    min_energy_kj = fields.Float(validate=validate.Range(min=0, max=1e6))
    min_avg_heart_rate = fields.Float(validate=validate.Range(min=0, max=250))


class DailyArgsSchema(Schema):
    """?date= for GET /api/daily."""

    date = FlexibleDate(metadata={"description": "DD-MM-YYYY or YYYY-MM-DD; default today in DELOTON_TZ",
                                  "example": "06-07-2022"})


class RiderSchema(Schema):
    """A rider with their totals; contact and body details only for `pii` and `admin` keys."""

    user_id = fields.Integer(metadata={"example": 100})
    name = fields.String(metadata={"example": "Mr Stuart Austin"})
    title = fields.String(allow_none=True)
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    gender = fields.String(allow_none=True)
    date_of_birth = fields.Date(allow_none=True)
    email = fields.String(allow_none=True)
    height_cm = Rounded(allow_none=True)
    weight_kg = Rounded(allow_none=True)
    address_line1 = fields.String(allow_none=True)
    address_line2 = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    postcode = fields.String(allow_none=True)
    postcode_area = fields.String(allow_none=True)
    account_created_on = fields.Date(allow_none=True)
    original_source = fields.String(allow_none=True)
    age_years = fields.Integer(allow_none=True)
    age_band = fields.String(allow_none=True, metadata={"example": "25-34"})
    rides_count = fields.Integer()
    avg_heart_rate = Rounded(allow_none=True)
    total_energy_kj = Rounded()
    total_duration_s = fields.Integer()
    first_ride_at = fields.AwareDateTime(allow_none=True)
    last_ride_at = fields.AwareDateTime(allow_none=True)


class LeaderboardArgsSchema(Schema):
    """?metric=&period= and the filters of GET /api/leaderboard."""

    metric = fields.String(required=True, validate=validate.OneOf(list(METRICS)),
                           metadata={"example": "total_energy"})
    period = fields.String(load_default="all", validate=validate.OneOf(list(API_PERIODS)),
                           metadata={"description": "day (today in DELOTON_TZ), week (the last 7 "
                                                    "days), month (the last 30 days) or all"})
    gender = fields.String(validate=validate.Length(min=1, max=50))
    age_band = fields.String(validate=validate.OneOf(AGE_BANDS))
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))


class LeaderboardEntrySchema(Schema):
    """One place on a leaderboard."""

    rank = fields.Integer(metadata={"example": 1})
    user_id = fields.Integer(metadata={"example": 100})
    name = fields.String(metadata={"example": "Steven Pearce"})
    value = Rounded(metadata={"example": 1234.5})
    ride_id = fields.Integer(metadata={"description": "per-ride metrics only"})
    bike_serial = fields.String(metadata={"description": "per-ride metrics only"})
    started_at = fields.AwareDateTime(metadata={"description": "per-ride metrics only"})


class LeaderboardSchema(Schema):
    """A leaderboard."""

    metric = fields.String(metadata={"example": "total_energy"})
    label = fields.String(metadata={"example": "Total energy"})
    period = fields.String(metadata={"example": "week"})
    unit = fields.String(metadata={"example": "kJ"})
    entries = fields.List(fields.Nested(LeaderboardEntrySchema))
