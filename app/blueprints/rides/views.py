"""Views of a ride page: for staff at /rides/<id>, and for the rider by a signed link at /r/<token>."""
from flask import abort, make_response, render_template, url_for
from flask_login import login_required

from app.blueprints.rides import bp
from app.domain.figures import ZONE_BOUNDS
from app.services.report.links import LinkRefused
from app.services.rides import export as ride_export, page as ride_page, queries as rides_query
from app.services.rides.links import read_ride_token, ride_link, ride_token
from app.staff_context import staff_context

FORMATS = "any(csv, tcx, fit)"

# The staff pages' nav, logout form and warning banner on the staff ride page.
bp.context_processor(staff_context)
# The bike's recent rides (a public page, on the rider's screen) link each ride by its signed link.
bp.add_app_template_global(ride_token, "ride_token")


def ride_or_404(ride_id: int):
    """The finished ride, else a 404 page."""
    ride = rides_query.get_ride_or_none(ride_id)
    if ride is None:
        abort(404, f"There is no finished ride {ride_id}.")
    return ride


def page_context(ride, file_url) -> dict:
    """Everything the ride page shows; file_url(fmt) gives each download's address."""
    return {"ride": ride, "rider": rides_query.get_rider_or_none(ride.user_id),
            "alerts": ride_page.ride_alerts(ride), "zones": ride_page.zones(ride),
            "zone_bounds": ",".join(map(str, ZONE_BOUNDS)),
            "file_url": file_url, "formats": list(ride_export.FORMATS)}


def file_response(ride, fmt: str):
    """The ride as a CSV, TCX or FIT download."""
    response = make_response(ride_export.export(ride, fmt))
    response.mimetype = ride_export.FORMATS[fmt]
    response.headers["Content-Disposition"] = f'attachment; filename="{ride_export.filename(ride, fmt)}"'
    return response


@bp.get("/rides/<int:ride_id>")
@login_required
def staff_page(ride_id: int):
    """The ride page for staff, with the rider's signed link to hand on."""
    ride = ride_or_404(ride_id)
    return render_template("rides/staff.html", staff=True, rider_link=ride_link(ride.ride_id),
                           **page_context(ride, lambda fmt: url_for("ride_pages.staff_file", ride_id=ride.ride_id, fmt=fmt)))


@bp.get(f"/rides/<int:ride_id>.<{FORMATS}:fmt>")
@login_required
def staff_file(ride_id: int, fmt: str):
    """A download of the ride for staff."""
    return file_response(ride_or_404(ride_id), fmt)


def granted_ride(token: str):
    """The ride a signed link grants, or a 403 page saying why the link was refused."""
    try:
        ride_id = read_ride_token(token)
    except LinkRefused as refused:
        abort(403, str(refused))
    return ride_or_404(ride_id)


@bp.get("/r/<token>")
def rider_page(token: str):
    """The ride page by the rider's signed link: no login, no staff pages."""
    ride = granted_ride(token)
    return render_template("rides/rider.html", staff=False,
                           **page_context(ride, lambda fmt: url_for("ride_pages.rider_file", token=token, fmt=fmt)))


@bp.get(f"/r/<token>/ride.<{FORMATS}:fmt>")
def rider_file(token: str, fmt: str):
    """A download of the ride by the rider's signed link."""
    return file_response(granted_ride(token), fmt)
