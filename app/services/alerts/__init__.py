"""Heart-rate alerts: delivering one, counting a day's."""
