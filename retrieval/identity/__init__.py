"""Speaker identity: which words can name a speaker, entity ids that do not depend on ingest order, corrections."""

from retrieval.identity.keys import entity_id, name_rank, person_key
from retrieval.identity.lexicon import noun_kind

__all__ = ["entity_id", "name_rank", "noun_kind", "person_key"]
