"""tether.util."""
