"""Pure logic of ride figures and alerts (docs/specification.md): no Flask, no database; plain values."""
