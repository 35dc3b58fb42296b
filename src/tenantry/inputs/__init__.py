"""Where people come from: HR feeds (CSV, JSON lines) and, later, the SCIM bridge's store."""
