"""Invoicing: declarations, settlement runs, ledger, invoices, budgets (built in a later issue)."""
