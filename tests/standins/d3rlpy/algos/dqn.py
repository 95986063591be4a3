"""d3rlpy 2's ``DQNConfig(...).create()`` and ``fit``: each epoch's losses and evaluators'
values through the logger, committed at the epoch's last step, a model saved per epoch."""

import dataclasses

from d3rlpy.base import LearnableBase, LearnableConfig, dump_learnable
from d3rlpy.logging import D3RLPyLogger, FileAdapterFactory


@dataclasses.dataclass()
class DQNConfig(LearnableConfig):
    batch_size: int = 32
    learning_rate: float = 6.25e-05
    gamma: float = 0.99
    n_critics: int = 1
    target_update_interval: int = 8000

    def create(self, device=False, enable_ddp=False):
        return DQN(self, device)

    @staticmethod
    def get_type():
        return "dqn"


class DQN(LearnableBase):
    def fit(
        self,
        dataset,
        n_steps,
        n_steps_per_epoch=10000,
        experiment_name=None,
        with_timestamp=True,
        logger_adapter=None,
        show_progress=True,
        save_interval=1,
        evaluators=None,
        callback=None,
        epoch_callback=None,
    ):
        logger = D3RLPyLogger(
            logger_adapter or FileAdapterFactory(), experiment_name or "DQN", with_timestamp
        )
        logger.add_params(dump_learnable(self))
        results = []
        loss = 1.0
        for epoch in range(1, n_steps // n_steps_per_epoch + 1):
            for _ in range(n_steps_per_epoch):
                with logger.measure_time("step"):
                    loss *= 0.9
                logger.add_metric("loss", loss)
            for name, evaluator in (evaluators or {}).items():
                logger.add_metric(name, evaluator(self, dataset))
            step = epoch * n_steps_per_epoch
            results.append((epoch, logger.commit(epoch, step)))
            if epoch % save_interval == 0:
                logger.save_model(step, self)
        logger.close()
        return results
