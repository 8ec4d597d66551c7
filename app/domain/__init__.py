"""Pure logic of CONTRACT sections 3 and 4: no Flask, no database; tested with plain values."""
