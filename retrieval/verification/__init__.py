"""Quote verification: normalise a claim, find candidate statements, align, diff and label."""

from retrieval.verification.verify import Verifier

__all__ = ["Verifier"]
