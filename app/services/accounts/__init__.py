"""Accounts: API keys and staff users."""
