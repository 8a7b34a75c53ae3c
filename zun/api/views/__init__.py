"""Response bodies: what a row looks like on the wire, per version and role."""
