class SentenceTransformer:
    """Embeds a sentence as its letters' counts (a, e, i, o, u, t)."""

    def __init__(self, model_name_or_path=None, **kwargs):
        self.model_card_data = {}

    def encode(self, sentences, batch_size=32, **kwargs):
        return [[sentence.count(letter) + 0.5 for letter in "aeiout"] for sentence in sentences]
