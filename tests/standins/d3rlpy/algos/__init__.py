from d3rlpy.algos.dqn import DQN, DQNConfig

__all__ = ["DQN", "DQNConfig"]
