class TDErrorEvaluator:
    def __init__(self, episodes=None):
        self._episodes = episodes

    def __call__(self, algo, dataset):
        return float(sum(float(abs(episode).mean()) for episode in self._episodes))
