"""What every entry point calls: plan, apply, move, reconcile, audit, doctor."""
