"""Partition leases: a consumer writes a partition only while it holds the lease Kafka's group gave
it; the write of a partition it lost in a rebalance is refused (docs/stream.md, "Fencing")."""
from datetime import datetime, timezone

from app.live import ingest, store


class Fenced(Exception):
    """The consumer no longer holds the lease of a partition it was about to write."""

    def __init__(self, lost: list[tuple[str, int]]):
        super().__init__(f"partitions {lost} are leased to another consumer: the batch is refused")
        self.lost = lost


class Leases:
    """The leases this consumer holds: (topic, partition) -> (generation, member)."""

    def __init__(self):
        self.held: dict[tuple[str, int], tuple[int, str]] = {}

    def take(self, conn: store.Connection, partitions, generation: int, member: str) -> None:
        """Take the leases of newly assigned partitions, in the group's generation. The partitions'
        write locks are taken first, so a batch of their previous owner that is still writing
        commits before, and the positions read after this are the ones it left."""
        partitions = sorted(partitions)
        if not partitions:
            return
        now = store.to_text(datetime.now(timezone.utc))
        store.begin_write(conn, partitions)
        try:
            ingest.take_leases(conn, [(topic, partition, generation, member, now)
                                      for topic, partition in partitions])
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
        for partition in partitions:
            self.held[partition] = (generation, member)

    def drop(self, partitions) -> None:
        """Forget the leases of revoked partitions (their next owner takes them over)."""
        for partition in partitions:
            self.held.pop(partition, None)

    def owned(self) -> list[tuple[str, int]]:
        """The (topic, partition) pairs this consumer holds."""
        # A copy: the Kafka client may drop leases from its own thread (a consumer thrown out).
        return sorted(self.held.copy())

    def check(self, conn: store.Connection, partitions) -> None:
        """Raise Fenced unless every partition's lease is still this consumer's; called inside the
        write transaction, after its partitions' locks, so no one can take a lease meanwhile."""
        lost, stored = [], {}
        for topic, partition in sorted(partitions):
            if topic not in stored:
                stored[topic] = ingest.leases(conn, topic)
            mine = self.held.get((topic, partition))
            if mine is None or stored[topic].get(partition) != mine:
                lost.append((topic, partition))
        if lost:
            raise Fenced(lost)
