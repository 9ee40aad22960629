"""Catalogue use cases: `async def verb_noun(session, ..., *, actor, now)`; they never commit."""
