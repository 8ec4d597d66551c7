"""A realistic simulated fleet: bikes keyed by serial, back-to-back rides, lines as in the recordings."""
import json
import random
from datetime import datetime, timedelta, timezone

FIRST = ["Steven", "Charlene", "Stuart", "Zoë", "José", "Siobhán", "Ángel", "Mei", "Oluwaseun",
         "Anna-Marie", "Björn", "Priya", "Łukasz", "Chloé", "Mohammed", "Aoife", "Jean-Luc", "Ayşe"]
LAST = ["Pearce", "Brown", "Austin", "Smith-Jones", "O'Brien", "Müller", "García", "Nguyen",
        "Kowalski", "Fernández-López", "Ødegaard", "Patel", "Davies", "Ó Súilleabháin"]
TITLES = ["Mr", "Mrs", "Ms", "Miss", "Dr", "Mx", "Prof", "Dr.", "Mr."]
GENDERS = ["male"] * 9 + ["female"] * 9 + ["non-binary", "prefer not to say"]
CITIES = ["Wilkinsonshire", "East Valeriemouth", "South Owenshire", "Lake Hannahbury", "Port Ellie"]
SOURCES = ["direct", "google ads", "facebook", "offline"]
DEVICES = ["mendoza v9", "mendoza v10", "ridgeline s2", "aurora x1"]
RESISTANCES = [0, 30, 30, 30, 60, 99, 120, 151, 170]
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def power_watts(rpm: int, resistance: int) -> float:
    """Power from cadence and resistance, fitted to the recordings (about 0.00072 x r x rpm^1.65)."""
    return 0.00072 * resistance * rpm ** 1.65


def make_rider(rng: random.Random, user_id: int, serial: str) -> dict:
    """A rider's [SYSTEM] JSON: any age and gender, some with titles, hyphens or accents."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    name = f"{rng.choice(TITLES)} {first} {last}" if rng.random() < 0.25 else f"{first} {last}"
    born = datetime(rng.randint(1938, 2010), rng.randint(1, 12), rng.randint(1, 28), tzinfo=timezone.utc)
    parts = [f"{rng.randint(1, 99)} {rng.choice(LAST)} road", rng.choice(CITIES),
             f"{rng.choice('ABEGLMNSW')}{rng.choice('ABCDEFG')}{rng.randint(1, 20)} "
             f"{rng.randint(0, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTU')}"]
    if rng.random() < 0.4:
        parts.insert(0, f"Flat {rng.randint(1, 99)}{rng.choice('abcxyz')}")
    created = datetime(2021, 1, 1, tzinfo=timezone.utc) + timedelta(days=rng.randint(0, 600))
    return {"user_id": user_id, "name": name, "gender": rng.choice(GENDERS),
            "address": ",".join(parts), "date_of_birth": _ms(born),
            "email_address": f"{first.lower()}.{last[0].lower()}{rng.randint(1, 99)}@gmail.com",
            "height_cm": rng.randint(150, 200), "weight_kg": rng.randint(45, 120),
            "account_create_date": _ms(created), "bike_serial": serial,
            "original_source": rng.choice(SOURCES)}


def _ms(moment: datetime) -> int:
    return int((moment - EPOCH).total_seconds() * 1000)


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


class SimBike:
    """One bike: a session start, then rides back to back, one Ride and one Telemetry line a second."""

    def __init__(self, rng: random.Random, index: int, ride_s: int | None = None):
        self.rng, self.index, self.ride_s = rng, index, ride_s
        self.serial = f"SD{rng.getrandbits(40):010x}"
        self.device = rng.choice(DEVICES)
        self.regulars = [make_rider(rng, 1000 * (index + 1) + k, self.serial) for k in range(4)]
        self.rider, self.duration, self.length, self.fresh = None, 0, 0, True

    def step(self, now: datetime) -> list[str]:
        """The lines of this bike for one second starting at `now`."""
        if self.rider is None or self.duration >= self.length:
            return self.new_ride(now)
        self.duration += 1
        return self.reading(now)

    def new_ride(self, now: datetime) -> list[str]:
        """Boundary lines and the [SYSTEM] line, as the recordings show them."""
        rng, lines = self.rng, []
        if self.fresh:
            lines.append("--------- beginning of main")
            self.fresh = False
        same_again = self.rider is not None and rng.random() < 0.3
        self.rider = self.rider if same_again else rng.choice(self.regulars)
        self.duration, self.length = 0, self.ride_length()
        self.cadence, self.resistance = rng.randint(45, 95), rng.choice(RESISTANCES)
        self.heart_rate, self.no_contact = 0.0, rng.randint(3, 15)
        self.over_limit = rng.random() < 0.05  # a few riders push past their safe limit
        self.rest = rng.randint(55, 75)
        lines += ["--------- beginning of a new ride",
                  f"{_ts(now)} {self.device}: Getting user data from server..",
                  f"{_ts(now + timedelta(seconds=0.5))} {self.device}: [SYSTEM] data = "
                  f"{json.dumps(self.rider, ensure_ascii=False, separators=(',', ':'))}"]
        return lines

    def ride_length(self) -> int:
        """Seconds of the next ride: 2 minutes to an hour, or ride_s/2 to ride_s when it is set."""
        if self.ride_s:
            return self.rng.randint(max(1, self.ride_s // 2), self.ride_s)
        return int(min(3600, max(120, self.rng.lognormvariate(6.3, 0.7))))

    def reading(self, now: datetime) -> list[str]:
        """One Ride line and its Telemetry line half a second later."""
        rng = self.rng
        if rng.random() < 1 / 60:
            self.resistance = rng.choice(RESISTANCES)
        rpm = max(0, min(140, int(rng.gauss(self.cadence, 6))))
        power = power_watts(rpm, self.resistance)
        return [f"{_ts(now)} {self.device}: [INFO]: Ride - duration = {float(self.duration)}; "
                f"resistance = {self.resistance}",
                f"{_ts(now + timedelta(seconds=0.5))} {self.device}: [INFO]: Telemetry - "
                f"hrt = {self.pulse(power)}; rpm = {rpm}; power = {power!r}"]

    def pulse(self, power: float) -> int:
        """Heart rate that follows effort; 0 while there is no hand contact."""
        age = 2022 - int(self.rider["date_of_birth"] / 31_557_600_000 + 1970)
        limit = 208 - 0.7 * age
        effort = min(1.0, power / 150)
        target = self.rest + (limit - self.rest) * (0.35 + 0.5 * effort)
        if self.over_limit and self.duration > 60:
            target = limit + 12
        self.heart_rate += (target - self.heart_rate) * 0.08 if self.heart_rate else target * 0.8
        if self.duration <= self.no_contact or self.rng.random() < 0.005:
            return 0
        return max(40, min(220, int(self.heart_rate + self.rng.gauss(0, 2))))


class Fleet:
    """N bikes in step; each tick is one simulated second."""

    def __init__(self, bikes: int, seed: int | None = None, start: datetime | None = None,
                 ride_s: int | None = None):
        rng = random.Random(seed)
        self.bikes = [SimBike(random.Random(rng.getrandbits(64)), i, ride_s) for i in range(bikes)]
        self.clock = (start or datetime.now(timezone.utc)).replace(tzinfo=None)
        self.seconds = 0

    def tick(self) -> list[tuple[bytes, bytes]]:
        """(key, value) messages of every bike for the next second."""
        messages = []
        for bike in self.bikes:
            key = bike.serial.encode()
            for line in bike.step(self.clock):
                messages.append((key, json.dumps({"log": line + "\n"}).encode()))
        self.clock += timedelta(seconds=1)
        self.seconds += 1
        return messages
