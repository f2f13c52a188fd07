"""Helpers of scripts/e2e_delivery.py: a Sluice process, its Public API, a webhook receiver, a report table."""
