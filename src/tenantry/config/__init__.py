"""tenants.yaml: schema and loader, every error naming file, line and field."""
