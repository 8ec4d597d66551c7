"""The live store: the consumer's SQLite file of bikes, rides in progress and their readings."""
