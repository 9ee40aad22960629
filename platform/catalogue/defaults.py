"""Default care profiles for a new region. Profiles 1 and 2 as published by West-Brabant West;
3–10 have illustrative names (marked `illustrative`), to be replaced by the region's own."""

# Profiles 1 and 2 as published by West-Brabant West; 3–10 are illustrative names (labelled in the data).
DEFAULT_PROFILES: list[tuple[int, str, str, str, bool]] = [
    (1, "Psychosociale problemen en een verstoorde relatie tussen ouders",
     "Voor jeugdigen met psychosociale problemen terwijl de ouders een verstoorde relatie hebben, vaak na een "
     "vechtscheiding. De hulp richt zich op het hele gezin.", "low", False),
    (2, "Versterken van specifieke opvoedvaardigheden",
     "Voor ouders van kinderen met ontwikkelings- of gedragsproblemen die hun opvoedvaardigheden willen versterken.",
     "low", False),
    (3, "Lichte ontwikkelingsvragen (illustratief)", "Voor kinderen met lichte vragen over hun ontwikkeling.", "low", True),
    (4, "Ernstige gedragsproblemen (illustratief)", "Voor jeugdigen met ernstige gedragsproblemen thuis of op school.", "low", True),
    (5, "Angst- en stemmingsklachten (illustratief)", "Voor jeugdigen met angst, somberheid of andere psychische klachten.", "low", True),
    (6, "Verslaving en risicogedrag (illustratief)", "Voor jeugdigen met verslavingsproblemen of ernstig risicogedrag.", "low", True),
    (7, "Licht verstandelijke beperking (illustratief)", "Voor jeugdigen met een licht verstandelijke beperking en hun gezin.", "low", True),
    (8, "Ernstige psychiatrische problematiek (illustratief)", "Voor jeugdigen met ernstige psychiatrische problemen.", "low", True),
    (9, "Meervoudige complexe problemen (illustratief)", "Voor gezinnen met problemen op meerdere gebieden tegelijk; "
     "hulp door een combinatie van aanbieders.", "high", True),
    (10, "Veiligheid en bescherming (illustratief)", "Voor jeugdigen van wie de veiligheid in het geding is.", "high", True),
]  # fmt: skip
