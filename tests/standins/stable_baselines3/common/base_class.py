"""SB3 2's ``BaseAlgorithm``: ``__init__`` (called by the algorithm's own, which has every
hyperparameter as an argument), ``learn`` printing the logger's table, ``save`` (a ``.zip``
added to a path without a suffix) and ``load`` (a model built with ``_init_setup_model=False``,
then given the saved values)."""

import json
import os
import zipfile

from stable_baselines3.common.vec_env import DummyVecEnv


class BaseAlgorithm:
    def __init__(
        self,
        policy,
        env,
        learning_rate,
        policy_kwargs=None,
        stats_window_size=100,
        tensorboard_log=None,
        verbose=0,
        device="auto",
        support_multi_env=False,
        monitor_wrapper=True,
        seed=None,
        use_sde=False,
        sde_sample_freq=-1,
        supported_action_spaces=None,
    ):
        self.policy_class = policy
        self.learning_rate = learning_rate
        self.verbose = verbose
        self.seed = seed
        self.env = env if env is None or hasattr(env, "get_attr") else DummyVecEnv([lambda: env])
        self.num_timesteps = 0

    def learn(
        self,
        total_timesteps,
        callback=None,
        log_interval=1,
        tb_log_name="run",
        reset_num_timesteps=True,
        progress_bar=False,
    ):
        self.num_timesteps = total_timesteps
        if self.verbose >= 1:
            print("-----------------------------")
            print("| rollout/           |      |")
            print("|    ep_len_mean     | 22.5 |")
            print("|    ep_rew_mean     | 22.5 |")
            print("| time/              |      |")
            print("|    fps             | 1200 |")
            print("|    iterations      | 1    |")
            print(f"|    total_timesteps | {total_timesteps:<4} |")
            print("-----------------------------")
        return self

    def save(self, path, exclude=None, include=None):
        path = os.fspath(path)
        if not os.path.splitext(path)[1]:
            path += ".zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("data", json.dumps({"num_timesteps": self.num_timesteps}))

    @classmethod
    def load(
        cls,
        path,
        env=None,
        device="auto",
        custom_objects=None,
        print_system_info=False,
        force_reset=True,
        **kwargs,
    ):
        path = os.fspath(path)
        with zipfile.ZipFile(path if os.path.splitext(path)[1] else path + ".zip") as archive:
            data = json.loads(archive.read("data"))
        model = cls(policy="MlpPolicy", env=env, device=device, _init_setup_model=False)
        model.__dict__.update(data)
        return model
