"""A Stable-Baselines3 script, unchanged, under ``runledger exec``: the algorithm's
hyperparameters (given and default) are the run's params, and the model it saves an artifact."""

from __future__ import annotations

import sys
from typing import Any

from tests.conftest import Repo
from tests.standins import imitate
from tests.test_autocapture import exec_run
from tests.test_autocapture_libs import needs, program

SB3_PROGRAM = """\
import gymnasium as gym
from stable_baselines3 import PPO



class LinearSchedule:  # as rl-baselines3-zoo's SimpleLinearSchedule, for its "lin_0.2"
    def __init__(self, initial_value):
        self.initial_value = initial_value

    def __call__(self, progress_remaining):
        return progress_remaining * self.initial_value

    def __repr__(self):
        return f"LinearSchedule(initial_value={self.initial_value})"


env = gym.make("CartPole-v1")
model = PPO(
    "MlpPolicy", env, verbose=1, n_steps=64, batch_size=32, n_epochs=1, seed=0,
    clip_range=LinearSchedule(0.2), learning_rate=lambda progress: progress * 3e-4,
)
model.learn(total_timesteps=128)
model.save("ppo_cartpole")
PPO.load("ppo_cartpole")  # built anew from the file: not a second configuration
"""


@needs("stable_baselines3", "gymnasium", "torch")
def test_sb3_algorithm_hyperparameters_and_saved_model(repo: Repo) -> None:
    program(repo, SB3_PROGRAM)
    repo.write(".gitignore", "*.zip\n")
    repo.commit_all("ignore")

    proc, run = exec_run(repo, sys.executable, "train.py")

    assert run["status"] == "ok", proc.stderr.decode()[-2000:]
    _assert_ppos_hyperparameters(run)
    # the printed logger table still gives the metrics
    assert "rollout/ep_rew_mean" in run["series"]
    assert [a["path"] for a in run["artifacts"]] == ["ppo_cartpole.zip"]


def _assert_ppos_hyperparameters(run: dict[str, Any]) -> None:
    params = run["params"]
    assert params["policy"] == "MlpPolicy" and params["env"] == "CartPole-v1"
    assert params["n_steps"] == 64 and params["batch_size"] == 32 and params["n_epochs"] == 1
    assert params["seed"] == 0
    assert params["gamma"] == 0.99 and params["gae_lambda"] == 0.95  # PPO's defaults
    # a schedule by the settings it spells; a bare function spells none
    assert params["clip_range"] == "LinearSchedule(initial_value=0.2)"
    assert "learning_rate" not in params
    assert run["param_sources"]["n_steps"] == "stable_baselines3"
    # the optimizer SB3 built for its policy is not a second spelling of learning_rate
    assert "lr" not in params and "optimizer" not in params and "verbose" not in params


VEC_ENV_PROGRAM = """\
import sys

import gymnasium as gym
import numpy as np
from stable_baselines3 import PPO
from stable_baselines3.common.policies import ActorCriticPolicy
from stable_baselines3.common.vec_env import DummyVecEnv

env = DummyVecEnv([lambda: gym.make("CartPole-v1")])
model = PPO(ActorCriticPolicy, env, n_epochs=np.int64(4), policy_kwargs=dict(net_arch=[64, 64]))
model.learn(total_timesteps=64)
if sys.argv[-1] == "--again":
    PPO("MlpPolicy", env, n_epochs=8).learn(total_timesteps=64)
"""


def test_sb3_stand_in_hyperparameters_saved_model_and_vec_env(repo: Repo) -> None:
    # SB3's algorithm classes as the hooks see them (tests/standins/stable_baselines3), for
    # CI, which lacks torch: the same program and assertions
    imitate(repo.path, "stable_baselines3", "gymnasium")
    program(repo, SB3_PROGRAM)
    program(repo, VEC_ENV_PROGRAM, "vec.py")
    repo.write(".gitignore", "*.zip\n")
    repo.commit_all("ignore")

    proc, run = exec_run(repo, sys.executable, "train.py")

    assert run["status"] == "ok", proc.stderr.decode()[-2000:]
    _assert_ppos_hyperparameters(run)
    assert "rollout/ep_rew_mean" in run["series"]
    assert [a["path"] for a in run["artifacts"]] == ["ppo_cartpole.zip"]

    _, run = exec_run(repo, sys.executable, "vec.py")

    # a vectorized environment by its environments' id, a policy class by its name
    params = run["params"]
    assert params["env"] == "CartPole-v1" and params["policy"] == "ActorCriticPolicy"
    assert params["n_epochs"] == 4 and params["policy_kwargs"] == {"net_arch": [64, 64]}

    _, run = exec_run(repo, sys.executable, "vec.py", "--again")

    # two models configured differently: neither's settings are the run's
    assert "n_epochs" not in run["params"] and "policy" not in run["params"]
