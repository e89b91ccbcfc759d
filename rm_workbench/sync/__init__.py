"""Sync with the central CRM: wire schemas, HTTP client, outbox, push/pull engine."""
