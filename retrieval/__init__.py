"""quotebot: the knowledge layer (no Flask, no HTTP)."""
