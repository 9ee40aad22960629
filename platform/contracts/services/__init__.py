"""Use cases of the register: `async def verb_noun(session, ..., *, actor, now)`; they never commit."""
