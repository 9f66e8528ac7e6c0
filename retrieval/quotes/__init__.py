"""Statement extraction: quotation marks, reported-speech cues, speakers, pronouns and aliases."""

from retrieval.quotes.extract import extract_many, extract_statements
from retrieval.quotes.speakers import article_speakers, by_writer

__all__ = ["article_speakers", "by_writer", "extract_many", "extract_statements"]
