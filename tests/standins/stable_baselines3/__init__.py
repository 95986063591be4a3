from stable_baselines3.ppo import PPO

__all__ = ["PPO"]
