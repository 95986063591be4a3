from sentence_transformers.SentenceTransformer import SentenceTransformer

__all__ = ["SentenceTransformer"]
