import math

from sentence_transformers.evaluation.SentenceEvaluator import SentenceEvaluator


def _cosine(a, b):
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def _pearson(xs, ys):
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return cov / math.sqrt(sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys))


def _ranks(values):
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    for rank, index in enumerate(order):
        ranks[index] = float(rank)
    return ranks


class EmbeddingSimilarityEvaluator(SentenceEvaluator):
    def __init__(
        self,
        sentences1,
        sentences2,
        scores,
        batch_size=16,
        main_similarity=None,
        similarity_fn_names=None,
        name="",
        show_progress_bar=False,
        write_csv=True,
        precision=None,
        truncate_dim=None,
    ):
        super().__init__()
        self.sentences1, self.sentences2, self.scores = sentences1, sentences2, scores
        self.name = name
        self.primary_metric = "spearman_cosine"

    def __call__(self, model, output_path=None, epoch=-1, steps=-1):
        first = model.encode(self.sentences1)
        second = model.encode(self.sentences2)
        cosine = [_cosine(a, b) for a, b in zip(first, second, strict=True)]
        metrics = {
            "pearson_cosine": _pearson(cosine, self.scores),
            "spearman_cosine": _pearson(_ranks(cosine), _ranks(self.scores)),
        }
        metrics = self.prefix_name_to_metrics(metrics, self.name)
        self.store_metrics_in_model_card_data(model, metrics, epoch, steps)
        return metrics
