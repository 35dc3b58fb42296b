"""Pure domain types and rules: the model, who belongs to which tenant, effective access."""
