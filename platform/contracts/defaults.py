"""The default legal quality requirements (DOMAIN.md §5), seeded as region data for a new region."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.models import Requirement

# (code, title, description, evidence required, validity in months or None)
DEFAULT_REQUIREMENTS: list[tuple[str, str, str, bool, int | None]] = [
    ("kvk", "Uittreksel Kamer van Koophandel",
     "Een uittreksel uit het Handelsregister, niet ouder dan drie maanden.", True, 12),
    ("norm_verantwoorde_werktoedeling", "Geregistreerde professionals (norm voor verantwoorde werktoedeling)",
     "Jeugdhulp wordt uitgevoerd of begeleid door professionals die in het SKJ- of BIG-register staan.", True, 12),
    ("vog", "Beleid verklaring omtrent het gedrag (VOG)",
     "Alle medewerkers met cliëntcontact hebben een VOG die niet ouder is dan drie jaar.", True, 36),
    ("meldcode", "Meldcode huiselijk geweld en kindermishandeling",
     "De organisatie werkt met de meldcode en heeft een aandachtsfunctionaris.", True, 24),
    ("klachtenregeling", "Klachtenregeling en vertrouwenspersoon",
     "Een klachtenregeling, aansluiting bij een geschilleninstantie en toegang tot een vertrouwenspersoon.", True, 24),
    ("clientparticipatie", "Cliëntenparticipatie",
     "Cliënten en ouders hebben inspraak, bijvoorbeeld via een cliëntenraad of panel.", True, 24),
    ("aansprakelijkheid", "Bedrijfs- en beroepsaansprakelijkheidsverzekering",
     "Een polis of verklaring van de verzekeraar met de verzekerde bedragen.", True, 12),
    ("belastingen", "Verklaring betalingsgedrag belastingen",
     "Een verklaring van de Belastingdienst, niet ouder dan zes maanden.", True, 6),
    ("kwaliteitssysteem", "Kwaliteitssysteem",
     "Een beschrijving van het kwaliteitssysteem (bijvoorbeeld HKZ of ISO); een certificaat is niet verplicht.", False, None),
]  # fmt: skip


async def seed_default_requirements(session: AsyncSession, region_id: int) -> int:
    for order, (code, title, description, required, months) in enumerate(DEFAULT_REQUIREMENTS, start=1):
        session.add(
            Requirement(
                region_id=region_id, code=code, title=title, description=description,
                evidence_required=required, validity_months=months, sort_order=order,
            )
        )  # fmt: skip
    await session.flush()
    return len(DEFAULT_REQUIREMENTS)
