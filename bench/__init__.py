"""make bench: Recast measured against its peers and the machine's ceiling."""
