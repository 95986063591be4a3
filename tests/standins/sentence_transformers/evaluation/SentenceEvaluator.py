"""sentence-transformers 3's ``SentenceEvaluator``: every evaluator ends by handing its
prefixed results to ``store_metrics_in_model_card_data`` (with the Trainer's epoch, or -1
when the program calls it)."""


class SentenceEvaluator:
    def __init__(self):
        self.greater_is_better = True
        self.primary_metric = None

    def prefix_name_to_metrics(self, metrics, name):
        if not name:
            return metrics
        return {name + "_" + key: value for key, value in metrics.items()}

    def store_metrics_in_model_card_data(self, model, metrics, epoch=0, step=0):
        model.model_card_data.setdefault("eval_results", []).append((metrics, epoch, step))
