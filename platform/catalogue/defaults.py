"""Defaults for a new region: care profiles, intensities, settings, 45 arrangement types and their first tariffs.

Profiles 1 and 2 as published by West-Brabant West; 3–10 have illustrative names (marked `illustrative`), to be
replaced by the region's own. The arrangement-type CODE SCHEME and which tariffs are published and which are
illustrative are documented below, above DEFAULT_INTENSITIES."""

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


# ---- the default catalogue: intensities, settings, arrangement types and tariffs (catalogue_setup.seed_catalogue)
#
# CODE SCHEME (45 arrangement types)
#   * Low complex, profiles 1–8, ambulant: `5` + two-digit profile + intensity letter + `L`, as West-Brabant West
#     publishes them: 501AL, 501PL, 501IL, 501DL … 508DL (32 types). A/P/I are paid result_50_50; D (long-term) is
#     paid per month up to the profile's maximum months (12, 3, 3, 3, 3, 6, 12 for profiles 1–7; 6 for 8).
#   * High complex, profiles 9–10: `5` + two-digit profile + high-complex level H1–H5 + `H`: 509H1H … 509H5H and
#     510H1H … 510H3H (8 types, ILLUSTRATIVE: the names and amounts are not public).
#   * Setting variants: the ambulant code plus a setting letter (D dagbehandeling, V verblijf licht,
#     Z verblijf zwaar, P pleegzorg): 504ILD, 506ILV, 507DLV, 508ILZ, 502DLP (5 types, ILLUSTRATIVE amounts).
#     Housing care and foster care are paid per month (DOMAIN.md §4).
#   * iJw: product category "45" for all; product code (5 digits) = `5` + two-digit profile + intensity digit
#     (A 1, P 2, I 3, D 4, H1–H5 5–9) + setting digit (AMB 1, DAG 2, VBL 3, VBZ 4, PLG 5), e.g. 501PL -> 50121;
#     unit "82" (output: per arrangement, or per month for the monthly types).
#
# TARIFFS (cents, for the first year): the published WBW low-complex tariffs (labelled 2023/2024): acute € 1.314
# for every profile, long-term € 1.371 per month, perspective/intensive per profile as below. Profiles 9–10,
# high complex and the setting variants carry ILLUSTRATIVE amounts (labelled in DEFAULT_TYPES: illustrative).

# (complexity, code, name, payment model, sort order)
DEFAULT_INTENSITIES: list[tuple[str, str, str, str, int]] = [
    ("low", "A", "Acuut", "result_50_50", 1),
    ("low", "P", "Perspectief", "result_50_50", 2),
    ("low", "I", "Intensief", "result_50_50", 3),
    ("low", "D", "Langdurig", "monthly", 4),
    ("high", "H1", "Hoogcomplex niveau 1 (illustratief)", "result_50_50", 5),
    ("high", "H2", "Hoogcomplex niveau 2 (illustratief)", "result_50_50", 6),
    ("high", "H3", "Hoogcomplex niveau 3 (illustratief)", "result_50_50", 7),
    ("high", "H4", "Hoogcomplex niveau 4 (illustratief)", "result_50_50", 8),
    ("high", "H5", "Hoogcomplex niveau 5 – langdurig (illustratief)", "monthly", 9),
]

# (code, name, sort order)
DEFAULT_SETTINGS: list[tuple[str, str, int]] = [
    ("AMB", "Ambulant", 1),
    ("DAG", "Dagbehandeling", 2),
    ("VBL", "Verblijf licht (woonzorg)", 3),
    ("VBZ", "Verblijf zwaar (woonzorg)", 4),
    ("PLG", "Pleegzorg", 5),
]

INTENSITY_DIGITS = {"A": 1, "P": 2, "I": 3, "D": 4, "H1": 5, "H2": 6, "H3": 7, "H4": 8, "H5": 9}
SETTING_DIGITS = {"AMB": 1, "DAG": 2, "VBL": 3, "VBZ": 4, "PLG": 5}
SETTING_LETTERS = {"DAG": "D", "VBL": "V", "VBZ": "Z", "PLG": "P"}

ACUTE_CENTS = 131_400
LONG_TERM_MONTH_CENTS = 137_100
# profile -> (perspective, intensive) in cents, published by West-Brabant West
PERSPECTIVE_INTENSIVE_CENTS: dict[int, tuple[int, int]] = {
    1: (417_000, 702_400), 2: (196_600, 468_200), 3: (73_800, 284_200), 4: (548_000, 1_095_800),
    5: (196_600, 528_400), 6: (953_400, 2_009_000), 7: (172_400, 587_200), 8: (714_000, 1_034_800),
}  # fmt: skip
LONG_TERM_MAX_MONTHS = {1: 12, 2: 3, 3: 3, 4: 3, 5: 3, 6: 6, 7: 12, 8: 6}
# ILLUSTRATIVE high-complex tariffs: profile -> {level: cents}; H5 is per month (max 12 months)
HIGH_COMPLEX_CENTS: dict[int, dict[str, int]] = {
    9: {"H1": 1_250_000, "H2": 1_875_000, "H3": 2_640_000, "H4": 3_480_000, "H5": 395_000},
    10: {"H1": 1_420_000, "H2": 2_160_000, "H3": 3_190_000},
}
HIGH_COMPLEX_MAX_MONTHS = 12
# ILLUSTRATIVE setting variants: (profile, intensity, setting, payment model, max months, cents)
SETTING_VARIANTS: list[tuple[int, str, str, str, int | None, int]] = [
    (4, "I", "DAG", "result_50_50", None, 1_315_000),
    (6, "I", "VBL", "monthly", 6, 425_000),
    (7, "D", "VBL", "monthly", 12, 397_500),
    (8, "I", "VBZ", "monthly", 6, 689_000),
    (2, "D", "PLG", "monthly", 12, 115_000),
]


def type_code(profile: int, intensity: str, setting: str = "AMB") -> str:
    """501PL, 509H1H, 506ILV (see the code scheme above)."""
    suffix = "H" if intensity.startswith("H") else "L"
    return f"5{profile:02d}{intensity}{suffix}{SETTING_LETTERS.get(setting, '')}"


def product_code(profile: int, intensity: str, setting: str = "AMB") -> str:
    return f"5{profile:02d}{INTENSITY_DIGITS[intensity]}{SETTING_DIGITS[setting]}"


# (profile, intensity code, setting code, payment model, max months, cents, illustrative)
DefaultType = tuple[int, str, str, str, int | None, int, bool]


def default_types() -> list[DefaultType]:
    """The 45 default arrangement types with their first tariff (see the code scheme above)."""
    out: list[DefaultType] = []
    for profile in range(1, 9):
        perspective, intensive = PERSPECTIVE_INTENSIVE_CENTS[profile]
        out += [
            (profile, "A", "AMB", "result_50_50", None, ACUTE_CENTS, False),
            (profile, "P", "AMB", "result_50_50", None, perspective, False),
            (profile, "I", "AMB", "result_50_50", None, intensive, False),
            (profile, "D", "AMB", "monthly", LONG_TERM_MAX_MONTHS[profile], LONG_TERM_MONTH_CENTS, False),
        ]
    for profile, levels in HIGH_COMPLEX_CENTS.items():
        for level, cents in levels.items():
            monthly = level == "H5"
            out.append((profile, level, "AMB", "monthly" if monthly else "result_50_50",
                        HIGH_COMPLEX_MAX_MONTHS if monthly else None, cents, True))  # fmt: skip
    out += [(p, i, s, model, months, cents, True) for p, i, s, model, months, cents in SETTING_VARIANTS]
    return out
