"""The domain: frozen dataclasses and enums, standard library only."""
