"""Claimed quote -> Verdict with evidence; the engine lives in `retrieval.verification`."""

from retrieval.verification.verify import Verifier

__all__ = ["Verifier"]
