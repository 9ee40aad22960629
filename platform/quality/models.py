"""Tables of the quality monitor: rating invitations and ratings, published figures, contract conversations.

Private to quality; other domains use quality.public."""

from __future__ import annotations
