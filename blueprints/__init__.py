"""Browser-facing and plain HTTP routes (pages, health, webhooks), one blueprint per area."""
