"""GET/DELETE /api/ride/<ride_id> and GET /api/rides."""
from flask import g
from flask.views import MethodView
from flask_smorest import abort

from app.blueprints.api import make_blueprint, paginate, require_admin
from app.blueprints.api.schemas import (BIGINT_MAX, RideQueryArgsSchema, RideSchema, RidesFilterSchema,
                                        RideWithReadingsSchema)
from app.services import ride_deletes, rides_query

blp = make_blueprint("rides", "Rides and their readings.")


@blp.route(f"/ride/<int(max={BIGINT_MAX}):ride_id>")
class RideById(MethodView):
    """One ride."""

    @blp.arguments(RideQueryArgsSchema, location="query")
    @blp.response(200, RideWithReadingsSchema)
    @blp.alt_response(404, description="No ride with this id.")
    def get(self, args, ride_id):
        """A ride with every figure; `?expand=readings` adds its readings."""
        ride = rides_query.get_ride_or_none(ride_id)
        if ride is None:
            abort(404, message=f"No ride with id {ride_id}.")
        if args.get("expand") != "readings":
            return ride
        return {**rides_query.ride_values(ride), "readings": rides_query.ride_readings(ride_id)}

    @blp.response(204)
    @blp.alt_response(403, description="A reader key cannot delete.")
    @blp.alt_response(404, description="No ride with this id.")
    def delete(self, ride_id):
        """Delete a ride and its readings (admin keys only); its alerts stay, and the delete is audited."""
        require_admin()
        if ride_deletes.delete_ride(ride_id, g.api_key) is None:
            abort(404, message=f"No ride with id {ride_id}.")


@blp.route("/rides")
class Rides(MethodView):
    """Rides with filters."""

    @blp.arguments(RidesFilterSchema, location="query")
    @blp.response(200, RideSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """Rides, newest first, filtered by rider, bike, date range and minimum figures."""
        page = paginate(rides_query.filtered_rides(filters), pagination_parameters)
        return page.items
