"""Statement extraction: quotation marks, reported-speech cues, speakers, pronouns and aliases."""

from retrieval.quotes.extract import extract_many, extract_statements
from retrieval.quotes.speakers import article_speakers

__all__ = ["article_speakers", "extract_many", "extract_statements"]
