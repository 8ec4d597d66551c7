"""GET/DELETE /api/ride/<ride_id> and GET /api/rides."""
from flask import g, request
from flask.views import MethodView
from flask_smorest import abort

from app.blueprints.api import make_blueprint, page_response, paginate, plain, require_admin
from app.blueprints.api.conditional import (CONDITIONAL_PARAMETERS, VALIDATOR_HEADERS, not_modified,
                                            validators)
from app.blueprints.api.cursor import CURSOR_HEADERS, CursorArgsSchema
from app.blueprints.api.ride_json import closing_time, json_response, rides_json
from app.blueprints.api.schemas import (RideQueryArgsSchema, RideSchema, RidesFilterSchema,
                                        RideWithReadingsSchema)
from app.models import BIGINT_MAX
from app.services.rides import deletes as ride_deletes, queries as rides_query

blp = make_blueprint("rides", "Rides and their readings.")


def ride_answer(ride_id: int, expand: bool):
    """A ride (with its readings when `expand`), its validators, or a 304 while the client's copy
    is current."""
    closed_at = closing_time(ride_id)
    if closed_at is None:
        abort(404, message=f"No ride with id {ride_id}.")
    headers = validators(f"ride-{ride_id}-{closed_at.timestamp():.6f}-{int(expand)}", closed_at)
    unchanged = not_modified(headers)
    if unchanged is not None:
        return unchanged
    if not expand:
        texts = rides_json([(ride_id, closed_at)])
        if not texts:  # deleted between the two reads
            abort(404, message=f"No ride with id {ride_id}.")
        response = json_response(texts, many=False)
        response.headers.extend(headers)
        return response
    ride = rides_query.get_ride_or_none(ride_id)
    if ride is None:
        abort(404, message=f"No ride with id {ride_id}.")
    return {**rides_query.ride_values(ride), "readings": rides_query.ride_readings(ride_id)}, headers


def plain_ride(self, ride_id):
    """The ride without a query string (nothing for webargs to read), else None."""
    return None if request.args else ride_answer(ride_id, expand=False)


@blp.route(f"/ride/<int(max={BIGINT_MAX}):ride_id>")
class RideById(MethodView):
    """One ride."""

    @plain.shortcut(plain_ride)
    @blp.arguments(RideQueryArgsSchema, location="query")
    @blp.response(200, RideWithReadingsSchema, headers=VALIDATOR_HEADERS)
    @blp.alt_response(304, description="Your copy (If-None-Match / If-Modified-Since) is current.",
                      headers=VALIDATOR_HEADERS)
    @blp.alt_response(404, description="No ride with this id.")
    @blp.doc(parameters=CONDITIONAL_PARAMETERS)
    def get(self, args, ride_id):
        """A ride with every figure; `?expand=readings` adds its readings.

        A closed ride never changes: the answer carries `ETag` and `Last-Modified`, and a request
        with `If-None-Match` or `If-Modified-Since` naming the current copy gets 304 without a body."""
        return ride_answer(ride_id, args.get("expand") == "readings")

    @blp.response(204)
    @blp.alt_response(403, description="A reader key cannot delete.")
    @blp.alt_response(404, description="No ride with this id.")
    def delete(self, ride_id):
        """Delete a ride and its readings (admin keys only); its alerts stay, and the delete is audited."""
        require_admin()
        if ride_deletes.delete_ride(ride_id, g.api_key) is None:
            abort(404, message=f"No ride with id {ride_id}.")


def plain_rides(self):
    """An unfiltered page of rides for a plain query string (app.blueprints.api.plain), else None."""
    args = plain.plain_args(plain.PAGING)
    if args is None:
        return None
    return page_response(blp, rides_query.filtered_rides, {}, args, newest_first=True)


@blp.route("/rides")
class Rides(MethodView):
    """Rides with filters."""

    @plain.shortcut(plain_rides)
    @blp.arguments(RidesFilterSchema, location="query")
    @blp.arguments(CursorArgsSchema, location="query")
    @blp.response(200, RideSchema(many=True), headers=CURSOR_HEADERS)
    @blp.paginate()
    def get(self, filters, position, pagination_parameters):
        """Rides, newest first, filtered by rider, bike, date range and minimum figures."""
        given = {name: value for name, value in filters.items() if value is not None}
        return paginate(rides_query.filtered_rides, given, pagination_parameters,
                        position.get("cursor"), newest_first=True)
