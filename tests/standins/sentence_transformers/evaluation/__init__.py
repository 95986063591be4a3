from sentence_transformers.evaluation.EmbeddingSimilarityEvaluator import (
    EmbeddingSimilarityEvaluator,
)
from sentence_transformers.evaluation.SentenceEvaluator import SentenceEvaluator

__all__ = ["EmbeddingSimilarityEvaluator", "SentenceEvaluator"]
