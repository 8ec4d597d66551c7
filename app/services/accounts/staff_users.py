"""Staff accounts: creating them and checking a login without telling who exists."""
import functools

from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db, login_manager
from app.models import StaffUser, utcnow

MIN_PASSWORD_LENGTH = 10


@functools.cache
def _dummy_hash() -> str:
    """Checked when the username is unknown, so a wrong username costs as long as a wrong password."""
    return generate_password_hash("not-a-real-password")


class StaffPrincipal(UserMixin):
    """The logged-in member of staff, as Flask-Login sees them."""

    def __init__(self, staff: StaffUser):
        # The session keeps "<staff_id>:<session_version>", so a raised version ends it.
        self.id = f"{staff.staff_id}:{staff.session_version}"
        self.staff_id = staff.staff_id
        self.username = staff.username


@login_manager.user_loader
def load_staff(session_id: str) -> StaffPrincipal | None:
    """The session's member of staff, or None when the account is gone or the session was ended."""
    staff_id, _, version = session_id.partition(":")
    if not (staff_id.isascii() and staff_id.isdigit() and version.isascii() and version.isdigit()):
        return None  # includes cookies from before session versions: they log in again
    staff = db.session.get(StaffUser, int(staff_id))
    if staff is None or staff.session_version != int(version):
        return None
    return StaffPrincipal(staff)


def end_sessions(staff: StaffUser) -> None:
    """End every session of this member of staff (on any browser); the caller commits."""
    staff.session_version = (staff.session_version or 0) + 1


def end_sessions_of(staff_id: int) -> None:
    """End every session of the member of staff with this id, and commit."""
    staff = db.session.get(StaffUser, staff_id)
    if staff is not None:
        end_sessions(staff)
        db.session.commit()


def create_staff_user(username: str, password: str) -> StaffUser:
    """Create an account, or set a new password for an existing one (ending its sessions); commits."""
    username = username.strip()
    if not username:
        raise ValueError("the username must not be empty")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    staff = db.session.scalars(db.select(StaffUser).where(StaffUser.username == username)).first()
    if staff is None:
        staff = StaffUser(username=username, password_hash="", session_version=0)
        db.session.add(staff)
    else:
        end_sessions(staff)  # a new password: whoever held the old sessions is logged out
    staff.password_hash = generate_password_hash(password)
    db.session.commit()
    return staff


def authenticate(username: str, password: str) -> StaffPrincipal | None:
    """The member of staff whose username and password match, recording the login; else None."""
    staff = db.session.scalars(db.select(StaffUser).where(StaffUser.username == username.strip())).first()
    if staff is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(staff.password_hash, password):
        return None
    staff.last_login_at = utcnow()
    db.session.commit()
    return StaffPrincipal(staff)
