class MDPDataset:
    """Transitions cut into episodes at each terminal."""

    def __init__(
        self,
        observations,
        actions,
        rewards,
        terminals,
        timeouts=None,
        transition_picker=None,
        trajectory_slicer=None,
        action_space=None,
        action_size=None,
    ):
        self.episodes = []
        start = 0
        for index, terminal in enumerate(terminals):
            if terminal:
                self.episodes.append(rewards[start : index + 1])
                start = index + 1
