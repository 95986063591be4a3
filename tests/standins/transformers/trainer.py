"""transformers 4's ``Trainer``: ``train`` logs the loss every ``logging_steps`` and the
run's totals at the end, ``evaluate`` its ``eval_*`` values, each through ``log`` at the
global step; its TensorBoard callback writes them again, renamed ``train/loss``, to the
arguments' ``logging_dir``; with ``disable_tqdm`` its printer callback prints each."""

import math
import time

from transformers.training_args import TrainingArguments


class TrainerState:
    def __init__(self):
        self.global_step = 0
        self.epoch = 0.0
        self.log_history = []


class TensorBoardCallback:
    def __init__(self, log_dir):
        from tensorboardX import SummaryWriter

        self.tb_writer = SummaryWriter(log_dir=log_dir)

    def on_log(self, state, logs):
        for key, value in logs.items():
            name = key[len("eval_") :] if key.startswith("eval_") else key
            prefix = "eval/" if key.startswith("eval_") else "train/"
            self.tb_writer.add_scalar(prefix + name, value, state.global_step)
        self.tb_writer.flush()


class Trainer:
    def __init__(
        self,
        model=None,
        args=None,
        data_collator=None,
        train_dataset=None,
        eval_dataset=None,
        processing_class=None,
        model_init=None,
        compute_loss_func=None,
        compute_metrics=None,
        callbacks=None,
        optimizers=(None, None),
        preprocess_logits_for_metrics=None,
    ):
        self.model = model
        self.args = args if args is not None else TrainingArguments(output_dir="tmp_trainer")
        self.train_dataset = train_dataset
        self.eval_dataset = eval_dataset
        self.optimizer, self.lr_scheduler = optimizers
        self.state = TrainerState()
        self.callbacks = []
        if "tensorboard" in self.args.report_to:
            self.callbacks.append(TensorBoardCallback(self.args.logging_dir))

    def is_world_process_zero(self):
        return True

    def log(self, logs, start_time=None):
        output = {**logs, "step": self.state.global_step}
        self.state.log_history.append(output)
        for callback in self.callbacks:
            callback.on_log(self.state, logs)
        if self.args.disable_tqdm:
            print(logs)

    def train(self, resume_from_checkpoint=None, trial=None, ignore_keys_for_eval=None, **kwargs):
        start = time.time()
        per_epoch = math.ceil(len(self.train_dataset) / self.args.per_device_train_batch_size)
        if self.args.max_steps > 0:
            total = self.args.max_steps
        else:
            total = int(per_epoch * self.args.num_train_epochs)
        loss = 0.7
        for step in range(1, total + 1):
            self.state.global_step = step
            self.state.epoch = step / per_epoch
            loss *= 0.9
            if step % self.args.logging_steps == 0:
                self.log(
                    {
                        "loss": round(loss, 4),
                        "grad_norm": 1.5,
                        "learning_rate": self.args.learning_rate * (1 - step / total),
                        "epoch": round(self.state.epoch, 2),
                    }
                )
        metrics = {
            "train_runtime": round(time.time() - start, 4),
            "train_loss": 0.5,
            "epoch": self.state.epoch,
        }
        self.log(metrics)
        return metrics

    def evaluate(self, eval_dataset=None, ignore_keys=None, metric_key_prefix="eval"):
        metrics = {
            f"{metric_key_prefix}_loss": 0.4,
            f"{metric_key_prefix}_accuracy": 0.75,
            "epoch": self.state.epoch,
        }
        self.log(metrics)
        return metrics
