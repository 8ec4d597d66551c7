"""Request and response schemas of the API (docs/specification.md#rest-api)."""
from marshmallow import Schema, fields, validate

from app.blueprints.api.fields import FlexibleDate, Rounded
from app.blueprints.api.model_schema import ModelSchema, in_model_order
from app.domain.rider import AGE_BANDS
from app.models import BIGINT_MAX, INT_MAX, Ride, RideReading, User
from app.services.rides import queries as rides_query
from app.services.rides.leaderboards import API_PERIODS, METRICS

ZONE_COLUMNS = tuple(f"hr_zone_z{i}_s" for i in range(1, 6))


class ReadingSchema(ModelSchema):
    """One second of a ride."""

    EXAMPLES = {"duration_s": 12, "recorded_at": "2022-07-06T10:00:12.5+00:00", "heart_rate": 131,
                "rpm": 48, "power": 31.63, "resistance": 30}

    class Meta(ModelSchema.Meta):
        model = RideReading
        exclude = ("ride_id",)


class ZoneSecondsSchema(Schema):
    """Seconds of heart-rate readings in each zone."""

    z1 = fields.Integer()
    z2 = fields.Integer()
    z3 = fields.Integer()
    z4 = fields.Integer()
    z5 = fields.Integer()


class RideSchema(ModelSchema):
    """A ride with every ride figure (docs/specification.md#ride-figures)."""

    EXAMPLES = {"ride_id": 1, "user_id": 100, "bike_serial": "SD2e4219ce4a",
                "started_at": "2022-07-06T10:00:00+00:00", "ride_date": "2022-07-06", "duration_s": 498,
                "readings_count": 498, "avg_heart_rate": 128.4, "energy_kj": 41.7, "calories_kcal": 41.53,
                "age_band": "25-34", "hr_limit_bpm": 187.0, "hr_formula": "tanaka"}

    class Meta(ModelSchema.Meta):
        model = Ride
        # The zones are shown as one object; the rest is bookkeeping of the warehouse.
        exclude = ("hr_readings_count", *ZONE_COLUMNS, "closed_at")

    hr_zone_seconds = fields.Nested(ZoneSecondsSchema)


in_model_order(RideSchema, hr_zone_seconds="hr_formula")


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
                                  "example": "2022-07-06"})


class RiderSchema(ModelSchema):
    """A rider with their totals; contact and body details only for `pii` and `admin` keys."""

    EXAMPLES = {"user_id": 100, "name": "Mr Stuart Austin"}

    class Meta(ModelSchema.Meta):
        model = User
        exclude = rides_query.BOOKKEEPING_COLUMNS

    age_years = fields.Integer(allow_none=True)
    age_band = fields.String(allow_none=True, metadata={"example": "25-34"})
    rides_count = fields.Integer()
    avg_heart_rate = Rounded(allow_none=True)
    total_energy_kj = Rounded()
    total_duration_s = fields.Integer()
    first_ride_at = fields.AwareDateTime(allow_none=True)
    last_ride_at = fields.AwareDateTime(allow_none=True)


in_model_order(RiderSchema)


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
