"""`python consumer.py`: the stream consumer (the full pipeline lands with the stream issue)."""
import argparse
import signal

from app import create_app
from app.live import store


def parse_args(argv=None) -> argparse.Namespace:
    """The flags of CONTRACT section 8."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap-servers")
    parser.add_argument("--topic")
    parser.add_argument("--group-id")
    parser.add_argument("--exit-when-idle", type=float, metavar="S")
    parser.add_argument("--simulate", type=int, metavar="N")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    """Open the live store and wait for the stream pipeline."""
    args = parse_args(argv)
    app = create_app()
    store.connect(app.config["LIVE_DB_PATH"]).close()
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    signal.pause()


if __name__ == "__main__":
    main()
