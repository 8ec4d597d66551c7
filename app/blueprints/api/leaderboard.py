"""GET /api/leaderboard: the same leaderboards as the staff pages and Tableau."""
from flask.views import MethodView

from app.blueprints.api import make_blueprint
from app.blueprints.api.schemas import LeaderboardArgsSchema, LeaderboardSchema
from app.services.clock import today_local
from app.services.rides import leaderboards

blp = make_blueprint("leaderboard", "Leaderboards over rides and riders.")


@blp.route("/leaderboard")
class Leaderboard(MethodView):
    """One leaderboard."""

    @blp.arguments(LeaderboardArgsSchema, location="query")
    @blp.response(200, LeaderboardSchema)
    def get(self, args):
        """The top riders (or rides) for a metric over a period, filterable by gender and age band."""
        metric = leaderboards.METRICS[args["metric"]]
        filters = leaderboards.period_filters(leaderboards.API_PERIODS[args["period"]], today_local(),
                                              gender=args.get("gender"), age_band=args.get("age_band"))
        entries = leaderboards.leaderboard(args["metric"], filters, limit=args["limit"])
        return {"metric": args["metric"], "label": metric.label, "period": args["period"],
                "unit": metric.unit, "entries": entries}
