"""torch's optimizers and loaders, optax, Keras and Lightning, as CI runs them: stand-ins.

These libraries are too heavy for CI's test extras (torch, TensorFlow or JAX under each), so
their hooks are driven here by small imitation packages written into the program's folder:
the module names the hooks patch, the signatures and the call shapes of the real libraries
(torch 2.x's ``Optimizer(params, defaults)`` filling each param group from the defaults and
``AdamW`` calling ``Adam.__init__``; optax 0.2's ``optax._src.alias`` functions and
``inject_hyperparams`` calling the optimizer again itself; Keras 3's ``Model.fit`` driving a
``CallbackList`` with a ``History``, its optimizers keeping the rate in float32; Lightning 2's
``_LoggerConnector.log_metrics`` and ``Fabric.log_dict``, and pytorch_lightning 1.5's
``LoggerConnector``). The programs are written as real ones are (nanoGPT, pytorch/examples,
keras-io, Flax, lightning-hydra-template); tests/test_autocapture_libs.py runs most of them
against the real libraries where those are installed.
"""

from __future__ import annotations

import sys

import pytest

from tests.conftest import Repo
from tests.test_autocapture import exec_run
from tests.test_autocapture_libs import program, series

# --- torch ------------------------------------------------------------------------------------

TORCH = {
    "torch/__init__.py": """\
from torch import distributed, nn, optim, utils
from torch._tensor import Tensor, float32, tensor
""",
    "torch/_tensor.py": """\
import struct


class dtype:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "torch." + self.name


float32 = dtype("float32")


class Tensor:
    def __init__(self, values):
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        self.dtype = float32  # torch's default: Python floats become float32
        self.values = [struct.unpack("f", struct.pack("f", value))[0] for value in values]

    def numel(self):
        return len(self.values)

    def item(self):
        if len(self.values) != 1:
            raise RuntimeError("a Tensor with %d elements cannot be converted to Scalar"
                               % len(self.values))
        return self.values[0]

    def dim(self):
        return 1 if len(self.values) > 1 else 0


def tensor(values):
    return Tensor(values)
""",
    "torch/nn.py": """\
from torch._tensor import Tensor


class Linear:
    def __init__(self, in_features, out_features):
        self.weight = Tensor([0.0] * (in_features * out_features))
        self.bias = Tensor([0.0] * out_features)

    def parameters(self):
        return iter([self.weight, self.bias])
""",
    # torch/optim/optimizer.py: each param group is filled in from the defaults
    "torch/optim/optimizer.py": """\
from torch._tensor import Tensor


class Optimizer:
    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = {}
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def add_param_group(self, param_group):
        params = param_group["params"]
        param_group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for name, default in self.defaults.items():
            param_group.setdefault(name, default)
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        pass

    def step(self, closure=None):
        return None
""",
    "torch/optim/sgd.py": """\
from torch.optim.optimizer import Optimizer


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
""",
    "torch/optim/adam.py": """\
from torch.optim.optimizer import Optimizer


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)
""",
    # torch 2.7 and later: AdamW is Adam with decoupled weight decay
    "torch/optim/adamw.py": """\
from torch.optim.adam import Adam


class AdamW(Adam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
""",
    "torch/optim/lr_scheduler.py": """\
class ReduceLROnPlateau:
    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4):
        self.optimizer = optimizer
""",
    "torch/optim/__init__.py": """\
from torch.optim import lr_scheduler
from torch.optim.optimizer import Optimizer
from torch.optim.sgd import SGD
from torch.optim.adam import Adam
from torch.optim.adamw import AdamW
""",
    "torch/utils/__init__.py": "from torch.utils import data\n",
    "torch/utils/data/__init__.py": "from torch.utils.data.dataloader import DataLoader\n",
    "torch/utils/data/dataloader.py": """\
class DataLoader:
    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False,
                 timeout=0, worker_init_fn=None, multiprocessing_context=None,
                 generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        self.dataset = dataset
        if batch_sampler is not None:
            batch_size = None  # the sampler gives whole batches
        self.batch_size = batch_size
        self.batch_sampler = batch_sampler

    def __iter__(self):
        if self.batch_size is None:
            return iter(self.batch_sampler)
        items = list(self.dataset)
        return iter([items[i:i + self.batch_size] for i in range(0, len(items),
                                                                 self.batch_size)])

    def __len__(self):
        return len(list(iter(self)))
""",
    # torch.distributed as a process started by mp.spawn sees it: its rank given to
    # init_process_group, none in its environment
    "torch/distributed/__init__.py": """\
_group = {}


def is_available():
    return True


def is_initialized():
    return bool(_group)


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1):
    import os  # env:// as torchrun sets it up, unless given

    rank = int(os.environ["RANK"]) if rank == -1 else rank
    world_size = int(os.environ["WORLD_SIZE"]) if world_size == -1 else world_size
    _group.update(rank=rank, world_size=world_size)


def get_rank():
    return _group["rank"]


def get_world_size():
    return _group["world_size"]
""",
}


def imitate(repo: Repo, files: dict[str, str]) -> None:
    """Write the imitation package ``files`` into the program's folder (beside train.py)."""
    for path, source in files.items():
        parts = path.split("/")
        for depth in range(1, len(parts)):
            init = "/".join([*parts[:depth], "__init__.py"])
            if init not in files and not (repo.path / init).exists():
                repo.write(init, "")
        repo.write(path, source)


def test_torch_loop_records_the_optimizer_and_loader_it_built(repo: Repo) -> None:
    # pytorch/examples mnist and the PyTorch Quickstart: settings written in the code, a
    # shuffling training loader and a test loader, an SGD with momentum.
    imitate(repo, TORCH)
    program(
        repo,
        """\
        import torch
        from torch import nn
        from torch.utils.data import DataLoader

        train_loader = DataLoader(list(range(16)), batch_size=4, shuffle=True)
        test_loader = DataLoader(list(range(16)), batch_size=1000)
        model = nn.Linear(2, 1)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.5)
        for epoch in range(1, 3):
            for batch_idx, data in enumerate(train_loader):
                optimizer.zero_grad()
                optimizer.step()
        print("done")
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["status"] == "ok"
    # what the program passed, not SGD's defaults (dampening, nesterov, weight_decay), and
    # the training loader's batch size, not the test loader's
    assert run["params"] == {"optimizer": "SGD", "lr": 0.01, "momentum": 0.5, "batch_size": 4}
    assert set(run["param_sources"].values()) == {"torch"}


NANOGPT_GROUPS = """\
import sys

import pytest
import torch

model = torch.nn.Linear(4, 4)
decay = [p for p in model.parameters() if p.dim() >= 1]
no_decay = [p for p in model.parameters() if p.dim() < 1]
if sys.argv[1] == "nanogpt":  # nanoGPT's configure_optimizers
    groups = [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}]
elif sys.argv[1] == "no_decay":
    groups = [{"params": decay, "weight_decay": 0.0}, {"params": no_decay, "weight_decay": 0.0}]
else:  # a head trained at its own rate
    groups = [{"params": decay, "weight_decay": 0.1, "lr": 1e-3},
              {"params": no_decay, "weight_decay": 0.0}]
# torch's compiled-optimizer recipe gives the rate as a tensor (no recompile when it changes)
lr = torch.tensor(6e-4) if sys.argv[2:] == ["tensor_lr"] else 6e-4
optimizer = torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.95), fused=False)
print("param groups", len(optimizer.param_groups))
"""


def test_torch_param_groups_give_shared_settings_and_the_decayed_weight_decay(
    repo: Repo,
) -> None:
    imitate(repo, TORCH)
    program(repo, NANOGPT_GROUPS)

    _, nanogpt = exec_run(repo, sys.executable, "train.py", "nanogpt", "tensor_lr")
    _, no_decay = exec_run(repo, sys.executable, "train.py", "no_decay")
    _, head_lr = exec_run(repo, sys.executable, "train.py", "head_lr")

    # AdamW's own call, once (its Adam.__init__ is no second optimizer); weight_decay as
    # nanoGPT's decayed group has it; fused (how, not what) left out; the float32 tensor
    # rate as typed (was 0.0006000000284984708)
    assert nanogpt["params"] == {
        "optimizer": "AdamW", "lr": 6e-4, "betas": [0.9, 0.95], "weight_decay": 0.1
    }  # fmt: skip
    assert no_decay["params"]["weight_decay"] == 0.0  # not AdamW's default of 0.01
    # lr is 1e-3 for one group and 6e-4 for the other: neither is the run's
    assert head_lr["params"] == {"optimizer": "AdamW", "betas": [0.9, 0.95], "weight_decay": 0.1}


def test_torch_optimizers_and_loaders_that_differ_give_none(repo: Repo) -> None:
    # pytorch/examples dcgan: two Adam(lr=2e-4, betas=(0.5, 0.999)) are one setting; a GAN
    # whose two optimizers differ has none (which one the results are of is unknown). A
    # loader given a batch_sampler has no batch size of its own.
    imitate(repo, TORCH)
    program(
        repo,
        """\
        import sys
        import torch
        from torch.utils.data import DataLoader

        generator, discriminator = torch.nn.Linear(2, 2), torch.nn.Linear(2, 1)
        for epoch in range(2):  # a loader made anew each epoch is still the one loader
            loader = DataLoader(list(range(8)), batch_size=2, shuffle=True)
        DataLoader(list(range(8)), batch_sampler=[[0, 1, 2], [3, 4]])
        optimizer_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
        if sys.argv[1] == "dcgan":
            optimizer_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4,
                                           betas=(0.5, 0.999))
        else:
            optimizer_d = torch.optim.SGD(discriminator.parameters(), lr=0.01)
            DataLoader(list(range(8)), batch_size=4, shuffle=True)
        """,
    )

    _, alike = exec_run(repo, sys.executable, "train.py", "dcgan")
    _, differ = exec_run(repo, sys.executable, "train.py", "two")

    assert alike["params"] == {
        "optimizer": "Adam", "lr": 2e-4, "betas": [0.5, 0.999], "batch_size": 2
    }  # fmt: skip
    assert differ["params"] == {}


def test_a_torch_worker_of_another_rank_records_nothing_rank_zero_the_world_size(
    repo: Repo,
) -> None:
    # A worker that mp.spawn started (pytorch/examples' DDP tutorial): its rank given to
    # init_process_group, not in its environment; then one as torchrun starts it.
    imitate(repo, TORCH)
    program(
        repo,
        """\
        import sys
        import torch
        import torch.distributed as dist

        if sys.argv[1:]:  # mp.spawn's worker
            dist.init_process_group("gloo", rank=int(sys.argv[1]), world_size=2)
        else:  # torchrun's
            dist.init_process_group("gloo")
        optimizer = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        """,
    )

    _, worker = exec_run(repo, sys.executable, "train.py", "1")
    _, first = exec_run(repo, sys.executable, "train.py", "0")
    _, torchrun_worker = exec_run(
        repo, sys.executable, "train.py", env={"RANK": "1", "WORLD_SIZE": "2"}
    )

    assert worker["params"] == {}
    assert first["params"] == {"optimizer": "SGD", "lr": 0.1}
    assert first["environment"]["distributed"] == {"world_size": 2}
    assert torchrun_worker["params"] == {}


# --- optax ------------------------------------------------------------------------------------

# optax 0.2's layout: the optimizers in optax._src.alias, the schedules in
# optax.schedules._schedule (warmup_cosine_decay_schedule built from two others of that
# module), inject_hyperparams in optax.schedules._inject calling the optimizer itself again on
# init and on each update. Values are plain floats here, not jax arrays.
OPTAX = {
    "optax/__init__.py": """\
from optax._src.alias import adam, adamw, sgd
from optax._src.base import GradientTransformation
from optax._src.combine import chain, multi_transform
from optax._src.transform import clip_by_global_norm
from optax.schedules import (
    cosine_decay_schedule, inject_hyperparams, linear_schedule, warmup_cosine_decay_schedule,
)
""",
    "optax/_src/base.py": """\
from typing import Callable, NamedTuple


class GradientTransformation(NamedTuple):
    init: Callable
    update: Callable
""",
    "optax/_src/transform.py": """\
from optax._src.base import GradientTransformation


def _map(function, tree):
    return {key: function(value) for key, value in tree.items()}


def scale_by_learning_rate(learning_rate):
    def update(updates, count, params=None):
        rate = learning_rate(count) if callable(learning_rate) else learning_rate
        return _map(lambda value: -rate * value, updates), count + 1

    return GradientTransformation(lambda params: 0, update)


def add_decayed_weights(weight_decay):
    def update(updates, state, params=None):
        return {key: value + weight_decay * params[key] for key, value in updates.items()}, state

    return GradientTransformation(lambda params: (), update)


def clip_by_global_norm(max_norm):
    def update(updates, state, params=None):
        norm = sum(value * value for value in updates.values()) ** 0.5
        scale = min(1.0, max_norm / norm) if norm else 1.0
        return _map(lambda value: value * scale, updates), state

    return GradientTransformation(lambda params: (), update)
""",
    "optax/_src/combine.py": """\
from optax._src.base import GradientTransformation


def chain(*transforms):
    def init(params):
        return tuple(transform.init(params) for transform in transforms)

    def update(updates, state, params=None):
        states = []
        for transform, inner in zip(transforms, state):
            updates, inner = transform.update(updates, inner, params)
            states.append(inner)
        return updates, tuple(states)

    return GradientTransformation(init, update)


def multi_transform(transforms, param_labels):
    def init(params):
        return {label: transforms[label].init(params) for label in transforms}

    def update(updates, state, params=None):
        result = {}
        for key, label in param_labels.items():
            moved, state[label] = transforms[label].update({key: updates[key]}, state[label],
                                                           params)
            result.update(moved)
        return result, state

    return GradientTransformation(init, update)
""",
    "optax/_src/alias.py": """\
from optax._src import combine, transform


def adam(learning_rate, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, mu_dtype=None, *,
         nesterov=False):
    return combine.chain(transform.scale_by_learning_rate(learning_rate))


def adamw(learning_rate, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, mu_dtype=None,
          weight_decay=1e-4, mask=None, *, nesterov=False):
    return combine.chain(transform.add_decayed_weights(weight_decay),
                         transform.scale_by_learning_rate(learning_rate))


def sgd(learning_rate, momentum=None, nesterov=False, accumulator_dtype=None):
    return combine.chain(transform.scale_by_learning_rate(learning_rate))
""",
    "optax/schedules/__init__.py": """\
from optax.schedules._inject import inject_hyperparams
from optax.schedules._schedule import (
    cosine_decay_schedule, linear_schedule, warmup_cosine_decay_schedule,
)
""",
    "optax/schedules/_schedule.py": """\
import math


def linear_schedule(init_value, end_value, transition_steps, transition_begin=0):
    def schedule(count):
        done = min(max(count - transition_begin, 0), transition_steps) / transition_steps
        return init_value + (end_value - init_value) * done

    return schedule


def cosine_decay_schedule(init_value, decay_steps, alpha=0.0, exponent=1.0):
    def schedule(count):
        done = min(count, decay_steps) / decay_steps
        cosine = (0.5 * (1 + math.cos(math.pi * done))) ** exponent
        return init_value * ((1 - alpha) * cosine + alpha)

    return schedule


def warmup_cosine_decay_schedule(init_value, peak_value, warmup_steps, decay_steps,
                                 end_value=0.0, exponent=1.0):
    alpha = 0.0 if peak_value == 0.0 else end_value / peak_value
    warmup = linear_schedule(init_value=init_value, end_value=peak_value,
                             transition_steps=warmup_steps)
    decay = cosine_decay_schedule(init_value=peak_value, decay_steps=decay_steps - warmup_steps,
                                  alpha=alpha, exponent=exponent)
    return lambda count: warmup(count) if count < warmup_steps else decay(count - warmup_steps)
""",
    "optax/schedules/_inject.py": """\
import functools
import inspect

from optax._src import base


def inject_hyperparams(inner_factory, static_args=(), hyperparam_dtype=None):
    inner_signature = inspect.signature(inner_factory)

    @functools.wraps(inner_factory)
    def wrapped_transform(*args, **kwargs):
        bound_arguments = inner_signature.bind(*args, **kwargs)
        bound_arguments.apply_defaults()
        hparams = dict(bound_arguments.arguments)

        def init_fn(params):
            return {"hyperparams": hparams,
                    "inner_state": inner_factory(**hparams).init(params)}

        def update_fn(updates, state, params=None):
            updates, inner = inner_factory(**hparams).update(updates, state["inner_state"],
                                                             params)
            return updates, {"hyperparams": hparams, "inner_state": inner}

        return base.GradientTransformation(init_fn, update_fn)

    return wrapped_transform
""",
}


def test_an_optax_optimizer_records_its_settings_and_its_schedules(repo: Repo) -> None:
    # Flax's and JAX programs' shape: the optimizer written in the code, a schedule as its rate.
    imitate(repo, OPTAX)
    program(
        repo,
        """\
        import sys

        import optax

        def lr_schedule(count):  # the program's own schedule
            return 0.1 * 0.99 ** count

        if sys.argv[1] == "schedule":
            schedule = optax.warmup_cosine_decay_schedule(
                init_value=0.0, peak_value=1e-3, warmup_steps=10, decay_steps=100
            )
            adamw = optax.adamw(learning_rate=schedule, weight_decay=0.05)
            tx = optax.chain(optax.clip_by_global_norm(1.0), adamw)
        elif sys.argv[1] == "two":
            tx = optax.multi_transform(
                {"a": optax.adam(1e-3), "b": optax.sgd(1e-2)}, {"w": "a", "b": "b"}
            )
        elif sys.argv[1] == "injected":  # the rate in the optimizer's state, to change it
            tx = optax.inject_hyperparams(optax.adam)(learning_rate=3e-4, b1=0.85)
        elif sys.argv[1] == "own":
            tx = optax.sgd(lr_schedule, momentum=0.9)
        elif sys.argv[1] == "float32":  # jnp.float32(3e-4) in JAX programs
            import numpy as np

            tx = optax.adam(np.float32(3e-4))
        else:
            tx = optax.adam(learning_rate=1e-3, b1=0.8)
            # inject_hyperparams calls adam again on each update: not the program's own call
            tx = optax.inject_hyperparams(optax.adam)(learning_rate=1e-3, b1=0.8)
        params = {"w": 0.0, "b": 0.0}
        state = tx.init(params)
        for step in range(2):
            updates, state = tx.update({"w": 1.0, "b": 1.0}, state, params)
        print("updated", updates["w"])
        """,
    )

    _, plain = exec_run(repo, sys.executable, "train.py", "plain")
    _, scheduled = exec_run(repo, sys.executable, "train.py", "schedule")
    _, two = exec_run(repo, sys.executable, "train.py", "two")
    _, injected = exec_run(repo, sys.executable, "train.py", "injected")
    _, own = exec_run(repo, sys.executable, "train.py", "own")
    _, float32 = exec_run(repo, sys.executable, "train.py", "float32")

    assert plain["params"] == {"optimizer": "adam", "learning_rate": 1e-3, "b1": 0.8}
    assert set(plain["param_sources"].values()) == {"optax"}
    # the schedule's maker and what it was made with, not the inner linear and cosine
    # schedules optax made of them
    assert scheduled["params"] == {
        "optimizer": "adamw",
        "weight_decay": 0.05,
        "learning_rate": {
            "schedule": "warmup_cosine_decay_schedule",
            "init_value": 0.0,
            "peak_value": 1e-3,
            "warmup_steps": 10,
            "decay_steps": 100,
        },
    }
    assert two["params"] == {}  # adam and sgd: which one is the run's cannot be told
    assert injected["params"] == {"optimizer": "adam", "learning_rate": 3e-4, "b1": 0.85}
    assert own["params"] == {
        "optimizer": "sgd", "learning_rate": "__main__.lr_schedule", "momentum": 0.9
    }  # fmt: skip
    # as typed, not float32's 0.0003000000142492354
    assert float32["params"] == {"optimizer": "adam", "learning_rate": 3e-4}


# --- Keras ------------------------------------------------------------------------------------

# Keras 3's shapes: fit drives a CallbackList that adds a History (model.history) and calls
# evaluate for validation with that CallbackList; optimizers keep the rate in a float32
# variable that get_config gives back as a Python float (0.0010000000474974513), a schedule
# serialized; apply_gradients calls apply; names are the class's in snake case.
KERAS = {
    "keras/__init__.py": """\
from keras import callbacks, layers, optimizers
from keras.models import Input, Model, Sequential
""",
    "keras/layers.py": """\
class Dense:
    def __init__(self, units, activation=None):
        self.units = units
""",
    "keras/callbacks.py": """\
class Callback:
    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass


class History(Callback):
    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(value)
        self.model.history = self


class CallbackList(Callback):
    def __init__(self, callbacks=None, add_history=False, model=None, **params):
        super().__init__()
        self.callbacks = list(callbacks) if callbacks else []
        if add_history:
            self.callbacks.append(History())
        for callback in self.callbacks:
            callback.set_model(model)
            callback.set_params(params)

    def _call(self, name, *args):
        for callback in self.callbacks:
            getattr(callback, name)(*args)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs)

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs)
""",
    "keras/optimizers/__init__.py": """\
import re
import struct

from keras.optimizers import schedules


def _float32(value):
    return struct.unpack("f", struct.pack("f", value))[0]


def _snake_case(name):
    name = re.sub("(.)([A-Z][a-z]+)", r"\\1_\\2", name)
    return re.sub("([a-z])([A-Z])", r"\\1_\\2", name).lower()


class Optimizer:
    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, name=None, **kwargs):
        self.name = name or _snake_case(type(self).__name__)
        self.iterations = 0
        if isinstance(learning_rate, schedules.LearningRateSchedule):
            self._learning_rate = learning_rate
        else:
            self._learning_rate = _float32(learning_rate)  # a float32 variable

    def get_config(self):
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            learning_rate = {
                "module": "keras.optimizers.schedules",
                "class_name": type(self._learning_rate).__name__,
                "config": self._learning_rate.get_config(),
                "registered_name": None,
            }
        else:
            learning_rate = float(self._learning_rate)
        return {"name": self.name, "learning_rate": learning_rate, "weight_decay": None}

    def apply_gradients(self, grads_and_vars):
        grads, trainable_variables = zip(*grads_and_vars)
        self.apply(list(grads), list(trainable_variables))
        return self.iterations

    def apply(self, grads, trainable_variables=None):
        self.iterations += 1

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        return trainable_variables, optimizer_variables


class SGD(Optimizer):
    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)


class Adam(Optimizer):
    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name="adam", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)


def get(identifier):
    if isinstance(identifier, Optimizer):
        return identifier
    return {"sgd": SGD, "adam": Adam}[identifier.lower()](name=identifier.lower())
""",
    "keras/optimizers/schedules.py": """\
class LearningRateSchedule:
    pass


class ExponentialDecay(LearningRateSchedule):
    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }
""",
    "keras/models.py": """\
from keras import optimizers
from keras.callbacks import CallbackList


def Input(shape):
    return shape


class Model:
    def __init__(self, *args, **kwargs):
        self.optimizer = None
        self.history = None
        self._metric_names = ["loss"]
        self._batches = 0

    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                **kwargs):
        self.optimizer = optimizers.get(optimizer)
        self._metric_names = ["loss", *(metrics or [])]

    def _logs(self, scale):
        return {name: scale / (index + 1) / max(self._batches, 1)
                for index, name in enumerate(self._metric_names)}

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        if validation_split and validation_data is None:
            validation_data = (x, y)
        if not isinstance(callbacks, CallbackList):
            callbacks = CallbackList(callbacks, add_history=True, model=self, verbose=verbose,
                                     epochs=epochs, steps=steps_per_epoch)
        callbacks.on_train_begin()
        logs = None
        for epoch in range(initial_epoch, epochs):
            callbacks.on_epoch_begin(epoch)
            self._batches += 1
            self.optimizer.apply([0.0], [0.0])
            logs = self._logs(1.0)
            if validation_data is not None:
                val_logs = self.evaluate(*validation_data, callbacks=callbacks,
                                         return_dict=True)
                logs.update({"val_" + name: value for name, value in val_logs.items()})
            callbacks.on_epoch_end(epoch, logs)
        callbacks.on_train_end(logs=logs)
        return self.history

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, **kwargs):
        if not isinstance(callbacks, CallbackList):
            callbacks = CallbackList(callbacks, model=self, verbose=verbose, epochs=1,
                                     steps=steps)
        callbacks.on_test_begin()
        logs = self._logs(1.5)
        callbacks.on_test_end(logs)
        if return_dict:
            return logs
        return [logs[name] for name in self._metric_names]


class Sequential(Model):
    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__()
        self.layers = list(layers or [])
""",
}


def test_keras_fits_go_on_in_steps_evaluate_is_test_and_fit_settings_are_params(
    repo: Repo,
) -> None:
    # As real Keras programs train: a callback of their own, validation_split, a second fit
    # to fine-tune (epochs counted from 0 again), fit(epochs=1) once per loop turn
    # (keras-io's addition_rnn), a fit that goes on with initial_epoch, then evaluate.
    imitate(repo, KERAS)
    program(
        repo,
        """\
        import keras

        class PrintEpoch(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                print(f"Finished epoch {epoch + 1}")

        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
        x, y = [[0.0, 1.0, 2.0]] * 32, [3.0] * 32
        history = model.fit(x, y, batch_size=16, epochs=2, validation_split=0.25,
                            callbacks=[PrintEpoch()])
        print("history", sorted(history.history), history.epoch)
        model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="mse", metrics=["mae"])
        for turn in range(2):
            model.fit(x, y, epochs=1, validation_split=0.25)
        model.fit(x, y, epochs=5, initial_epoch=4, validation_split=0.25)
        loss, mae = model.evaluate(x, y)
        """,
    )

    proc, run = exec_run(repo, sys.executable, "train.py")

    for name in ("loss", "mae", "val_loss", "val_mae"):
        assert [step for step, _ in series(run, name)] == [0, 1, 2, 3, 4], name
    assert series(run, "loss")[:2] == [[0, 1.0], [1, 0.5]]
    # fit's validation is no evaluation of the program's: only the last evaluate is test_*
    assert series(run, "test_loss") == [[4, pytest.approx(1.5 / 5)]]
    assert [step for step, _ in series(run, "test_mae")] == [4]
    assert set(run["series"]) == {"loss", "mae", "val_loss", "val_mae", "test_loss", "test_mae"}
    # The first fit's settings; SGD's learning rate as typed, not float32's 0.00999999977.
    assert run["params"] == {
        "epochs": 2,
        "batch_size": 16,
        "validation_split": 0.25,
        "optimizer": "sgd",
        "learning_rate": 0.01,
    }
    assert run["param_sources"]["learning_rate"] == "keras"
    # the program's own callback and History ran as bare
    assert b"Finished epoch 2" in proc.stdout
    assert b"history ['loss', 'mae', 'val_loss', 'val_mae'] [0, 1]" in proc.stdout


def test_keras_training_loops_record_their_optimizer_and_a_schedule_its_config(
    repo: Repo,
) -> None:
    # Keras' guides "Writing a training loop from scratch" (apply_gradients in TensorFlow's,
    # apply in PyTorch's, stateless_apply in JAX's): no fit, whose hook gave the params.
    imitate(repo, KERAS)
    program(
        repo,
        """\
        import sys
        import keras

        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        optimizer = keras.optimizers.Adam(learning_rate=1e-3)
        weights = [0.0, 0.0]
        for step in range(3):
            if sys.argv[1] == "tensorflow":
                optimizer.apply_gradients(zip([0.1, 0.2], weights))
            elif sys.argv[1] == "jax":
                optimizer.stateless_apply([], [0.1, 0.2], weights)
            else:  # a GAN's two optimizers at two rates
                optimizer.apply([0.1, 0.2], weights)
                keras.optimizers.Adam(learning_rate=2e-4).apply([0.1], weights[:1])
            print(f"step={step} loss={1.0 / (step + 1):.4f}")
        if sys.argv[1] == "schedule":  # then a fit, whose settings these are
            rate = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1000,
                                                               decay_rate=0.96)
            model.compile(optimizer=keras.optimizers.SGD(learning_rate=rate), loss="mse")
            model.fit([[1.0, 2.0, 3.0]], [6.0], epochs=1, verbose=0)
        """,
    )

    _, tensorflow = exec_run(repo, sys.executable, "train.py", "tensorflow")
    _, jax = exec_run(repo, sys.executable, "train.py", "jax")
    _, gan = exec_run(repo, sys.executable, "train.py", "gan")
    _, scheduled = exec_run(repo, sys.executable, "train.py", "schedule")

    # float32 as typed: 0.001, not 0.0010000000474974513
    assert tensorflow["params"] == {"optimizer": "adam", "learning_rate": 0.001}
    assert tensorflow["param_sources"]["learning_rate"] == "keras"
    assert [step for step, _ in series(tensorflow, "loss")] == [0, 1, 2]
    assert jax["params"] == {"optimizer": "adam", "learning_rate": 0.001}
    assert gan["params"] == {"optimizer": "adam"}  # two rates: neither is the run's
    assert scheduled["params"]["learning_rate"] == {
        "class_name": "ExponentialDecay",
        "initial_learning_rate": 0.1,
        "decay_steps": 1000,
        "decay_rate": 0.96,
        "staircase": False,
    }
    assert scheduled["params"]["optimizer"] == "SGD"


# --- Lightning --------------------------------------------------------------------------------

# Lightning 2's shapes: the trainer's _LoggerConnector.log_metrics gets what each step (and
# each evaluation's end) logged, returns at once without loggers, takes a logged "step" as the
# step, else adds the epoch and uses the batches stepped; save_hyperparameters keeps the
# __init__ arguments as hparams_initial; the trainer calls configure_optimizers itself;
# Fabric.log calls Fabric.log_dict, which turns tensors into numbers for its loggers.
LIGHTNING = {
    "lightning/__init__.py": """\
from lightning.fabric import Fabric
from lightning.pytorch import LightningDataModule, LightningModule, Trainer
""",
    "lightning/pytorch/__init__.py": """\
from lightning.pytorch.core import LightningDataModule, LightningModule
from lightning.pytorch.trainer import Trainer
""",
    "lightning/pytorch/core/__init__.py": """\
import inspect


class _HyperparametersMixin:
    def save_hyperparameters(self, *args, ignore=None, frame=None, logger=True):
        frame = inspect.currentframe().f_back
        init_args = inspect.getargvalues(frame)
        values = {name: init_args.locals[name] for name in init_args.args[1:]}
        values.update(init_args.locals.get(init_args.keywords) or {})
        ignored = [ignore] if isinstance(ignore, str) else list(ignore or [])
        self._hparams_initial = {k: v for k, v in values.items() if k not in ignored}

    @property
    def hparams_initial(self):
        return dict(getattr(self, "_hparams_initial", {}))


class LightningDataModule(_HyperparametersMixin):
    pass


class LightningModule(_HyperparametersMixin):
    trainer = None

    @property
    def current_epoch(self):
        return self.trainer.current_epoch if self.trainer else 0

    def log(self, name, value, prog_bar=False, logger=None, on_step=None, on_epoch=None):
        self.trainer._log(name, value, on_epoch=bool(on_epoch) and not on_step)
        if prog_bar:
            self.trainer.progress_bar_metrics[name] = value

    def log_dict(self, dictionary, **kwargs):
        for name, value in dictionary.items():
            self.log(name, value, **kwargs)
""",
    "lightning/pytorch/trainer/__init__.py": """\
from lightning.pytorch.trainer.trainer import Trainer
""",
    "lightning/pytorch/trainer/connectors/logger_connector/__init__.py": """\
from lightning.pytorch.trainer.connectors.logger_connector.logger_connector import (
    _LoggerConnector,
)
""",
    "lightning/pytorch/trainer/connectors/logger_connector/logger_connector.py": """\
def _scalars(metrics):
    return {name: value.item() if hasattr(value, "item") else value
            for name, value in metrics.items()}


class _LoggerConnector:
    def __init__(self, trainer):
        self.trainer = trainer

    def log_metrics(self, metrics, step=None):
        if not self.trainer.loggers or not metrics:
            return
        scalar_metrics = _scalars(metrics)
        if step is None:
            step_metric = scalar_metrics.pop("step", None)
            if step_metric is not None:
                step = int(step_metric)
            else:
                scalar_metrics.setdefault("epoch", self.trainer.current_epoch)
                step = self.trainer.fit_loop.epoch_loop._batches_that_stepped
        for logger in self.trainer.loggers:
            logger.log_metrics(metrics=scalar_metrics, step=step)
""",
    "lightning/pytorch/trainer/trainer.py": """\
from lightning.pytorch.trainer.connectors.logger_connector import _LoggerConnector


class _EpochLoop:
    _batches_that_stepped = 0


class _FitLoop:
    def __init__(self):
        self.epoch_loop = _EpochLoop()


class Trainer:
    def __init__(self, max_epochs=None, logger=None, log_every_n_steps=50,
                 enable_checkpointing=None, enable_progress_bar=None):
        self.max_epochs = max_epochs
        self.log_every_n_steps = log_every_n_steps
        self.loggers = [] if not logger else list(logger) if isinstance(logger, list) else [
            logger]
        self.fit_loop = _FitLoop()
        self.current_epoch = 0
        self.global_step = 0
        self.lightning_module = None
        self.datamodule = None
        self._logger_connector = _LoggerConnector(self)
        self._logged = {}
        self._epoch_logged = {}
        self.progress_bar_metrics = {}

    def _log(self, name, value, on_epoch):
        (self._epoch_logged if on_epoch else self._logged)[name] = value

    def fit(self, model, train_dataloaders=None, val_dataloaders=None, datamodule=None):
        model.trainer = self
        self.lightning_module, self.datamodule = model, datamodule
        self.optimizer = model.configure_optimizers()
        loader = train_dataloaders if datamodule is None else datamodule.train_dataloader()
        for epoch in range(self.max_epochs):
            self.current_epoch = epoch
            for batch_idx, batch in enumerate(loader):
                self._logged = {}
                model.training_step(batch, batch_idx)
                if (self.fit_loop.epoch_loop._batches_that_stepped + 1) % (
                        self.log_every_n_steps) == 0:
                    self._logger_connector.log_metrics(self._logged)
                self.fit_loop.epoch_loop._batches_that_stepped += 1
                self.global_step += 1
            self._logger_connector.log_metrics(self._epoch_logged)
            self._epoch_logged = {}
            if val_dataloaders is not None:
                self._logged = {}
                for batch_idx, batch in enumerate(val_dataloaders):
                    model.validation_step(batch, batch_idx)
                self._logger_connector.log_metrics(self._logged)

    def test(self, model, dataloaders):
        self._logged = {}
        for batch_idx, batch in enumerate(dataloaders):
            model.test_step(batch, batch_idx)
        self._logger_connector.log_metrics(self._logged)
""",
    "lightning/pytorch/loggers.py": """\
import os


class CSVLogger:
    def __init__(self, save_dir, name="lightning_logs", version=0):
        self.log_dir = os.path.join(save_dir, name, "version_%d" % version)
        self.logged = []

    def log_metrics(self, metrics, step=None):
        self.logged.append((step, dict(metrics)))
""",
    "lightning/fabric/__init__.py": "from lightning.fabric.fabric import Fabric\n",
    "lightning/fabric/fabric.py": """\
def convert_tensors_to_scalars(metrics):
    return {name: value.item() if hasattr(value, "item") else value
            for name, value in metrics.items()}


class Fabric:
    def __init__(self, accelerator="auto", devices="auto", loggers=None):
        self._loggers = list(loggers or [])

    @property
    def loggers(self):
        return self._loggers

    def setup(self, module, *optimizers):
        return (module, *optimizers)

    def log(self, name, value, step=None):
        self.log_dict(metrics={name: value}, step=step)

    def log_dict(self, metrics, step=None):
        metrics = convert_tensors_to_scalars(metrics)
        for logger in self._loggers:
            logger.log_metrics(metrics=metrics, step=step)
""",
}


def test_lightning_trainer_logs_hparams_and_builds_the_optimizer_itself(repo: Repo) -> None:
    # lightning-hydra-template's and Lightning's docs' shape: save_hyperparameters(), a loss
    # logged each step, a validation metric and the epoch as its step, a test; the trainer
    # calls configure_optimizers, so torch's SGD is the trainer's, not the program's params.
    imitate(repo, {**TORCH, **LIGHTNING})
    program(
        repo,
        """\
        import sys
        import torch
        import lightning as L
        from lightning.pytorch.loggers import CSVLogger
        from torch.utils.data import DataLoader

        class Data(L.LightningDataModule):
            def __init__(self, batch_size=4):
                super().__init__()
                self.save_hyperparameters()

            def train_dataloader(self):
                return DataLoader(list(range(8)), batch_size=self.hparams_initial["batch_size"],
                                  shuffle=True)

        class Model(L.LightningModule):
            def __init__(self, lr=0.1, hidden=32, **kwargs):
                super().__init__()
                self.save_hyperparameters()

            def training_step(self, batch, batch_idx):
                loss = torch.tensor(1.0 / (self.trainer.global_step + 1))
                self.log("train_loss", loss)
                self.log("train_acc", 0.5 + self.current_epoch / 4, on_step=False,
                         on_epoch=True)
                return loss

            def validation_step(self, batch, batch_idx):
                self.log("val_acc", 0.25 + self.current_epoch / 4)
                self.log("step", float(self.current_epoch))  # the epoch as the x axis

            def test_step(self, batch, batch_idx):
                self.log("test_acc", 0.75)

            def configure_optimizers(self):
                return torch.optim.SGD(self.parameters(), lr=self.hparams_initial["lr"])

            def parameters(self):
                return torch.nn.Linear(2, 1).parameters()

        loggers = [CSVLogger("logs")] if sys.argv[1:] == ["--csv"] else False
        trainer = L.Trainer(max_epochs=2, log_every_n_steps=1, logger=loggers)
        extra = {"_instantiator": "lightning.pytorch.cli.instantiate_module"} if (
            sys.argv[1:] == ["--cli"]) else {}
        model = Model(lr=0.05, **extra)
        validation = DataLoader(list(range(2)), batch_size=2)
        trainer.fit(model, val_dataloaders=validation, datamodule=Data(batch_size=4))
        trainer.test(model, dataloaders=validation)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")
    _, with_logger = exec_run(repo, sys.executable, "train.py", "--csv")
    _, cli = exec_run(repo, sys.executable, "train.py", "--cli")

    for recorded in (run, with_logger):
        # the step Lightning's loggers get: the batches stepped before this one
        assert series(recorded, "train_loss") == [
            [0, 1.0], [1, 0.5], [2, pytest.approx(1 / 3)], [3, 0.25]
        ]  # fmt: skip
        assert series(recorded, "train_acc") == [[2, 0.5], [4, 0.75]]
        # at the step logged, a whole number as Lightning's loggers get it (was 0.0, 1.0)
        assert recorded["series"]["val_acc"] == [[0, 0.25], [1, 0.5]]
        assert [type(step) for step, _ in recorded["series"]["val_acc"]] == [int, int]
        assert series(recorded, "test_acc") == [[4, 0.75]]
        # the datamodule's and the module's hparams; no torch params: the trainer built them
        sources = recorded["param_sources"]
        assert {key for key, source in sources.items() if source == "lightning"} == {
            "batch_size", "lr", "hidden", "max_epochs"
        }  # fmt: skip
        assert "torch" not in sources.values()
    assert run["params"] == {"batch_size": 4, "lr": 0.05, "hidden": 32, "max_epochs": 2}
    assert set(run["param_sources"].values()) == {"lightning"}
    # the epoch Lightning adds to what its loggers get when no step was logged
    assert series(run, "epoch") == [[0, 0], [1, 0], [2, 0], [2, 1], [3, 1], [4, 1]]
    # a module LightningCLI made: its config, parsed by jsonargparse, has these values
    assert "lightning" not in cli["param_sources"].values()


def test_lightning_fabric_log_and_log_dict(repo: Repo) -> None:
    imitate(repo, {**TORCH, **LIGHTNING})
    program(
        repo,
        """\
        import os
        import torch
        from lightning.fabric import Fabric
        from lightning.pytorch.loggers import CSVLogger

        loggers = [CSVLogger("logs")] if os.environ.get("CSV_LOGS") else []
        fabric = Fabric(accelerator="cpu", devices=1, loggers=loggers)
        model, optimizer = fabric.setup(torch.nn.Linear(2, 1), torch.optim.SGD(
            torch.nn.Linear(2, 1).parameters(), lr=0.1))
        for step in range(3):
            fabric.log("train/loss", torch.tensor(1.0 / (step + 1)), step=step * 10)
            fabric.log_dict({"lr": 0.1, "acc": torch.tensor(0.5 + step / 10)}, step=step * 10)
        fabric.log("final", 1.5)
        """,
    )

    for env in ({}, {"CSV_LOGS": "1"}):
        _, run = exec_run(repo, sys.executable, "train.py", env=env)

        assert set(run["series"]) == {"train/loss", "lr", "acc", "final"}, env
        assert series(run, "train/loss") == [[0, 1.0], [10, 0.5], [20, pytest.approx(1 / 3)]]
        assert run["metrics"]["acc"] == pytest.approx(0.7)
        assert run["metrics"]["final"] == 1.5
        # the program built its optimizer itself (Fabric only wraps it): its settings
        assert run["params"] == {"optimizer": "SGD", "lr": 0.1}


def test_a_keras_optimizer_whose_config_cannot_be_read_leaves_the_fit_settings(
    repo: Repo,
) -> None:
    # A custom optimizer written for Keras 2 (its get_config calls self._get_hyper, which
    # Keras 3 lacks; Keras itself calls get_config only to save): the program trains as bare.
    imitate(repo, KERAS)
    program(
        repo,
        """\
        import keras

        class Lookahead(keras.optimizers.Optimizer):
            def __init__(self, learning_rate=0.01, name="Lookahead", **kwargs):
                super().__init__(learning_rate=learning_rate, name=name, **kwargs)

            def get_config(self):
                config = super().get_config()
                config["learning_rate"] = self._get_hyper("learning_rate")
                return config

        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile(optimizer=Lookahead(), loss="mse")
        model.fit([[1.0, 2.0, 3.0]] * 8, [6.0] * 8, batch_size=4, epochs=2, verbose=0)
        print("trained")
        """,
    )

    proc, run = exec_run(repo, sys.executable, "train.py")

    assert run["status"] == "ok"
    assert b"trained" in proc.stdout
    assert [step for step, _ in series(run, "loss")] == [0, 1]
    # the fit's settings and the optimizer's name (was: no params at all), the error noted
    assert run["params"] == {"epochs": 2, "batch_size": 4, "optimizer": "Lookahead"}
    (error,) = run["environment"]["autocapture"]["errors"]
    assert error.startswith("keras: AttributeError:") and "_get_hyper" in error


def test_lightning_hparams_as_hydra_and_config_objects_give_them(repo: Repo) -> None:
    # lightning-hydra-template's MNISTLitModule: Hydra makes the optimizer and the scheduler
    # partials (`_partial_: true`), the net is left out of the hparams; other programs pass
    # config objects (pydantic, attrs), enums and classes.
    imitate(repo, {**TORCH, **LIGHTNING})
    program(
        repo,
        """\
        import enum
        import functools
        import sys

        import attrs
        import pydantic
        import torch
        import lightning as L
        from torch.utils.data import DataLoader

        class Template(L.LightningModule):
            def __init__(self, net, optimizer, scheduler, compile):
                super().__init__()
                self.save_hyperparameters(logger=False, ignore=["net"])

            def training_step(self, batch, batch_idx):
                self.log("train/loss", 0.5)

            def configure_optimizers(self):
                optimizer = self.hparams_initial["optimizer"](params=self.parameters())
                self.hparams_initial["scheduler"](optimizer=optimizer)
                return optimizer

            def parameters(self):
                return torch.nn.Linear(2, 1).parameters()

        class Loss(enum.Enum):
            MSE = "mse"

        class Net(pydantic.BaseModel):
            hidden: int = 32
            dropout: float = 0.1

        @attrs.define
        class Warmup:
            steps: int = 10

        class Configured(Template):
            def __init__(self, net: Net, warmup: Warmup, loss=Loss.MSE, layer=torch.nn.Linear,
                         head=functools.partial(torch.nn.Linear, 32)):
                L.LightningModule.__init__(self)
                self.save_hyperparameters()

            def configure_optimizers(self):
                return torch.optim.SGD(self.parameters(), lr=0.1)

        if sys.argv[1] == "template":
            model = Template(
                net=torch.nn.Linear(2, 1),
                optimizer=functools.partial(torch.optim.Adam, lr=0.001, weight_decay=0.0),
                scheduler=functools.partial(
                    torch.optim.lr_scheduler.ReduceLROnPlateau, mode="min", factor=0.1, patience=10
                ),
                compile=False,
            )
        else:
            model = Configured(Net(hidden=64), Warmup())
        trainer = L.Trainer(max_epochs=1, log_every_n_steps=1)
        trainer.fit(model, DataLoader(list(range(4)), batch_size=2))
        """,
    )

    _, template = exec_run(repo, sys.executable, "train.py", "template")
    _, configured = exec_run(repo, sys.executable, "train.py", "configs")

    # each partial's target and arguments (was one string: "functools.partial(<class ...>,
    # lr=0.001, weight_decay=0.0)"), as Hydra's config has them
    assert template["params"] == {
        "optimizer": {"_target_": "torch.optim.adam.Adam", "lr": 0.001, "weight_decay": 0.0},
        "scheduler": {
            "_target_": "torch.optim.lr_scheduler.ReduceLROnPlateau",
            "mode": "min",
            "factor": 0.1,
            "patience": 10,
        },
        "compile": False,
        "max_epochs": 1,  # the Trainer's
    }
    assert configured["params"] == {
        "net": {"hidden": 64, "dropout": 0.1},
        "warmup": {"steps": 10},
        "loss": "mse",
        "layer": "torch.nn.Linear",
        "head": {"_target_": "torch.nn.Linear", "_args_": [32]},
        "max_epochs": 1,
    }


# --- values every hook reports through -------------------------------------------------------


def test_argparse_paths_and_open_files_are_recorded_by_their_names(repo: Repo) -> None:
    # pytorch/examples' and many scripts' `type=Path` and `type=argparse.FileType("r")`
    repo.write("vocab.txt", "the\na\n")
    program(
        repo,
        """\
        import argparse
        from pathlib import Path

        parser = argparse.ArgumentParser()
        parser.add_argument("--data", type=Path, default=Path("data") / "train.csv")
        parser.add_argument("--vocab", type=argparse.FileType("r"))
        args = parser.parse_args()
        print(len(args.vocab.read().split()), "words")
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py", "--vocab", "vocab.txt")

    # the path as typed, the open file by its name (not "<_io.TextIOWrapper name=...>")
    assert run["params"] == {"data": "data/train.csv", "vocab": "vocab.txt"}
    assert run["param_sources"] == {"data": "argparse", "vocab": "argparse"}


def test_a_value_only_the_progress_bar_shows_is_at_the_loggers_steps(repo: Repo) -> None:
    # darts' torch models (NBEATSModel, RNNModel, TCNModel): training_step logs train_loss with
    # prog_bar=True, on_step, so no logger gets it before step 50; the validation's val_loss
    # (on_epoch) is logged at each epoch's end. Printed, the bar is kept only at the end of the
    # fit ("Epoch 2/2 ... train_loss: 0.489"): train_loss was recorded once, at epoch 2
    imitate(repo, {**TORCH, **LIGHTNING})
    program(
        repo,
        """\
        import lightning as L
        import torch
        from torch.utils.data import DataLoader

        class Module(L.LightningModule):
            def training_step(self, batch, batch_idx):
                self.log("train_loss", 1.0 / (self.trainer.global_step + 1), prog_bar=True)

            def validation_step(self, batch, batch_idx):
                self.log("val_loss", 0.5 / (self.current_epoch + 1), prog_bar=True)

            def configure_optimizers(self):
                return torch.optim.Adam(torch.nn.Linear(2, 1).parameters(), lr=0.001)

        trainer = L.Trainer(max_epochs=2, logger=False)
        trainer.fit(Module(), DataLoader(list(range(6)), batch_size=2), DataLoader([0, 1]))
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert series(run, "val_loss") == [[3, 0.5], [6, 0.25]]
    # the last batch's value the bar shows when the validation is logged, at its step
    assert series(run, "train_loss") == [[3, pytest.approx(1 / 3)], [6, pytest.approx(1 / 6)]]


def _pytorch_lightning_1_5() -> dict[str, str]:
    """pytorch_lightning 1.5 made of the Lightning stand-in: the package's old name, its
    ``LoggerConnector`` without the underscore, the trainer's ``global_step`` as the step (no
    ``_batches_that_stepped`` yet), no Fabric."""
    files = {}
    for path, source in LIGHTNING.items():
        if not path.startswith("lightning/pytorch/"):
            continue
        source = source.replace(
            "self.trainer.fit_loop.epoch_loop._batches_that_stepped", "self.trainer.global_step"
        )
        source = source.replace("_batches_that_stepped", "batches_seen")
        source = source.replace("_LoggerConnector", "LoggerConnector")
        source = source.replace("lightning.pytorch", "pytorch_lightning")
        files["pytorch_lightning/" + path.removeprefix("lightning/pytorch/")] = source
    return files


def test_pytorch_lightning_1_x_logs_at_its_global_step(repo: Repo) -> None:
    # Research code pinned to pytorch_lightning 1.5 (`import pytorch_lightning as pl`)
    imitate(repo, {**TORCH, **_pytorch_lightning_1_5()})
    program(
        repo,
        """\
        import pytorch_lightning as pl
        import torch
        from torch.utils.data import DataLoader

        class Model(pl.LightningModule):
            def __init__(self, lr=0.02):
                super().__init__()
                self.save_hyperparameters()

            def training_step(self, batch, batch_idx):
                self.log("train_loss", 1.0 / (self.trainer.global_step + 1))

            def configure_optimizers(self):
                return torch.optim.Adam(torch.nn.Linear(2, 1).parameters(), lr=0.02)

        trainer = pl.Trainer(max_epochs=2, log_every_n_steps=1)
        trainer.fit(Model(), DataLoader(list(range(4)), batch_size=2))
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert series(run, "train_loss") == [[0, 1.0], [1, 0.5], [2, pytest.approx(1 / 3)], [3, 0.25]]
    assert series(run, "epoch") == [[0, 0], [1, 0], [2, 1], [3, 1]]
    assert run["params"] == {"lr": 0.02, "max_epochs": 2}
    assert run["param_sources"] == {"lr": "lightning", "max_epochs": "lightning"}
