"""tether.orm."""
