"""Contracts: the open-house register (applications, admission, framework contracts, evidence)."""
