"""GET /api/daily?date=: the rides of one day."""
from flask.views import MethodView

from app.blueprints.api import make_blueprint, page_response, paginate, plain
from app.blueprints.api.cursor import CURSOR_HEADERS, CursorArgsSchema
from app.blueprints.api.schemas import DailyArgsSchema, RideSchema
from app.services.clock import today_local
from app.services.rides import queries as rides_query

blp = make_blueprint("daily", "The rides of a day.")
PLAIN = {"date": plain.day, **plain.PAGING}


def rides_of_day(filters: dict):
    """The list of the rides of filters["day"], oldest first."""
    return rides_query.rides_on(filters["day"])


def plain_get(self):
    """The page for a plain query string (app.blueprints.api.plain), else None."""
    args = plain.plain_args(PLAIN)
    if args is None:
        return None
    return page_response(blp, rides_of_day, {"day": args.get("date") or today_local()}, args,
                         newest_first=False)


@blp.route("/daily")
class Daily(MethodView):
    """Rides by ride_date."""

    @plain.shortcut(plain_get)
    @blp.arguments(DailyArgsSchema, location="query")
    @blp.arguments(CursorArgsSchema, location="query")
    @blp.response(200, RideSchema(many=True), headers=CURSOR_HEADERS)
    @blp.paginate()
    def get(self, args, position, pagination_parameters):
        """Rides whose ride_date is `date` (default today in DELOTON_TZ), oldest first."""
        day = args.get("date") or today_local()
        return paginate(rides_of_day, {"day": day}, pagination_parameters, position.get("cursor"),
                        newest_first=False)
