"""Jeugdregio: wiring and the thin shared base (settings, db, errors, security, audit, templating, pdf)."""
