"""What happened, to whom and why: CloudEvents in an audit log and the journal, webhooks, metrics, logs.

`model` turns applied batches and audit findings into events (pure); `store` keeps them and
their webhook deliveries in the journal's database; `webhooks` signs and delivers; `sink` is
the executor's hook; `metrics` and `logs` are the Prometheus registry and structured logging.
"""
