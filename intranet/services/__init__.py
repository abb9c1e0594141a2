"""Business rules, one module per area. Services flush; the request (or command) commits."""
