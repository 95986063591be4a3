"""torch's optimizers and loaders, optax, Keras and Lightning, as CI runs them: stand-ins.

These libraries are too heavy for CI's test extras (torch, TensorFlow or JAX under each), so
their hooks are driven here by small imitation packages written into the program's folder:
the module names the hooks patch, the signatures and the call shapes of the real libraries
(torch 2.x's ``Optimizer(params, defaults)`` filling each param group from the defaults and
``AdamW`` calling ``Adam.__init__``; optax 0.2's ``optax._src.alias`` functions and
``inject_hyperparams`` calling the optimizer again itself; Keras 3's ``Model.fit`` driving a
``CallbackList`` with a ``History``, its optimizers keeping the rate in float32; Lightning 2's
``_LoggerConnector.log_metrics`` and ``Fabric.log_dict``). The programs are written as real
ones are (nanoGPT, pytorch/examples, keras-io, Flax); tests/test_autocapture_libs.py runs the
same programs against the real libraries where they are installed.
"""

from __future__ import annotations

import sys

from tests.conftest import Repo
from tests.test_autocapture import exec_run
from tests.test_autocapture_libs import program

# --- torch ------------------------------------------------------------------------------------

TORCH = {
    "torch/__init__.py": """\
from torch import distributed, nn, optim, utils
from torch._tensor import Tensor, tensor
""",
    "torch/_tensor.py": """\
class Tensor:
    def __init__(self, values):
        self.values = list(values) if isinstance(values, (list, tuple)) else [values]

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
    "torch/optim/__init__.py": """\
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
optimizer = torch.optim.AdamW(groups, lr=6e-4, betas=(0.9, 0.95), fused=False)
print("param groups", len(optimizer.param_groups))
"""


def test_torch_param_groups_give_shared_settings_and_the_decayed_weight_decay(
    repo: Repo,
) -> None:
    imitate(repo, TORCH)
    program(repo, NANOGPT_GROUPS)

    _, nanogpt = exec_run(repo, sys.executable, "train.py", "nanogpt")
    _, no_decay = exec_run(repo, sys.executable, "train.py", "no_decay")
    _, head_lr = exec_run(repo, sys.executable, "train.py", "head_lr")

    # AdamW's own call, once (its Adam.__init__ is no second optimizer); weight_decay as
    # nanoGPT's decayed group has it; fused (how, not what) left out
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
