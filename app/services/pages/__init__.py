"""What the live and staff pages show, read from the live store and the warehouse."""
