"""Cross-lingual story linking: a similarity in [0, 1] between two articles and a same-story
decision, one code path for `newsdesk similarity` and the warehouse's stories."""

from pipeline.linking.linker import LinkDoc, Linker, Prepared

__all__ = ["LinkDoc", "Linker", "Prepared"]
