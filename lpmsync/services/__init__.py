"""Use cases: sync, check, digest. Each is a function; its ports are passed in."""
