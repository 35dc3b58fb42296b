"""Pure planning: desired state, diff, plan, batching, moves, remediation."""
