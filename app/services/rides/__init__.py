"""Finished rides in the warehouse: closeout, queries, leaderboards."""
