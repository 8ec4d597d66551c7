"""GET /api/rider/<user_id> and /api/rider/<user_id>/rides."""
from flask.views import MethodView
from flask_smorest import abort

from app.blueprints.api import (make_blueprint, may_read_personal_data, page_response, paginate, plain,
                                reads, statements)
from app.blueprints.api.cursor import CURSOR_HEADERS, CursorArgsSchema
from app.blueprints.api.schemas import RiderSchema, RideSchema
from app.models import BIGINT_MAX
from app.services.rides import queries as rides_query

blp = make_blueprint("riders", "Riders and their rides.")


def rider_or_404(user_id: int) -> None:
    """A 404 that says which id was unknown, unless the rider exists."""
    if reads.first(statements.RIDER_EXISTS, {"user_id": user_id}) is None:
        abort(404, message=f"No rider with id {user_id}.")


@blp.route(f"/rider/<int(max={BIGINT_MAX}):user_id>")
class RiderById(MethodView):
    """One rider."""

    @blp.response(200, RiderSchema)
    @blp.alt_response(404, description="No rider with this id.")
    def get(self, user_id):
        """The rider's name, gender, age, age band, postcode area and totals over all their rides.

        Contact and body details (email, date of birth, address, height, weight and the other
        fields below) come only with a `pii` or `admin` key."""
        row = reads.first(statements.RIDER_WITH_TOTALS, {"user_id": user_id})
        if row is None:
            abort(404, message=f"No rider with id {user_id}.")
        details = rides_query.rider_fields(row)
        if not may_read_personal_data():
            details = {name: details[name] for name in rides_query.PUBLIC_RIDER_FIELDS}
        return {**details, **rides_query.rider_totals(row)}


def plain_rides(self, user_id):
    """The page of the rider's rides for a plain query string (app.blueprints.api.plain), else None."""
    args = plain.plain_args(plain.PAGING)
    if args is None:
        return None
    rider_or_404(user_id)
    return page_response(blp, rides_query.filtered_rides, {"user_id": user_id}, args, newest_first=True)


@blp.route(f"/rider/<int(max={BIGINT_MAX}):user_id>/rides")
class RiderRides(MethodView):
    """A rider's rides."""

    @plain.shortcut(plain_rides)
    @blp.arguments(CursorArgsSchema, location="query")
    @blp.response(200, RideSchema(many=True), headers=CURSOR_HEADERS)
    @blp.alt_response(404, description="No rider with this id.")
    @blp.paginate()
    def get(self, position, user_id, pagination_parameters):
        """The rider's rides, newest first."""
        rider_or_404(user_id)
        return paginate(rides_query.filtered_rides, {"user_id": user_id}, pagination_parameters,
                        position.get("cursor"), newest_first=True)
