"""tether.ext."""
