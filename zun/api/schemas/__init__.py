"""JSON schemas of request bodies, and the validator that words their errors."""
