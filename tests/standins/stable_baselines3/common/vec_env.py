class DummyVecEnv:
    """SB3's vectorized environment: its environments' attributes through ``get_attr``."""

    def __init__(self, env_fns):
        self.envs = [make() for make in env_fns]
        self.num_envs = len(self.envs)

    def get_attr(self, attr_name, indices=None):
        chosen = range(self.num_envs) if indices is None else indices
        return [getattr(self.envs[i], attr_name) for i in chosen]
