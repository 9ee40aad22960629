"""Start-up: the worker moves what start-up made out of the cyclic garbage collector's reach."""

from __future__ import annotations

import gc

from jeugdregio.asgi import freeze_startup_objects


def test_startup_objects_are_frozen_out_of_full_collections() -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        freeze_startup_objects()
        frozen = gc.get_freeze_count()
        assert frozen > 1000  # this process's modules, classes and functions
        assert len(gc.get_objects(2)) < frozen  # what a full collection still walks is the rest
    finally:
        gc.unfreeze()
