"""What JAX programs (JAX's tutorials, Flax, Equinox, Optax, clu) print, read as they mean it.

The lines are the programs' own format strings with made-up numbers, so no JAX is needed:
- JAX's "Training a simple neural network" tutorial prints ``Epoch 0 in 3.21 sec`` and then
  ``Training set accuracy 0.91`` / ``Test set accuracy 0.90`` (no colon, no step of their own);
- ``jax.debug.visualize_array_sharding`` draws device boxes (``│ CPU 0 │``): no metric;
- absl's prefix (``I1207 04:01:53.804345 139831 train.py:172]``) never gives a metric or a step;
- a dict of JAX or NumPy scalars printed as such (``{'loss': Array(0.5, dtype=float32)}``).
"""

from __future__ import annotations

from runledger.recording.capture.metrics import MetricsCollector


def _collected(text: str, stream: str = "stdout") -> dict[str, list[tuple[float, float]]]:
    collector = MetricsCollector()
    collector.feed_output(text.encode(), stream)
    collector.flush_output()
    return {
        name: list(zip(one.steps, one.values, strict=True))
        for name, one in collector.series().items()
    }


def test_the_jax_tutorial_epoch_header_gives_its_accuracies_their_epoch() -> None:
    # jax docs/notebooks/Neural_Network_and_Data_Loading.md, its training loop's prints
    printed = "".join(
        f"Epoch {epoch} in {3.2 + epoch:0.2f} sec\n"
        + f"Training set accuracy {0.9 + epoch / 100}\n"
        + f"Test set accuracy {0.89 + epoch / 100}\n"
        for epoch in range(3)
    )
    series = _collected(printed)
    assert series == {
        "train_accuracy": [(0, 0.9), (1, 0.91), (2, 0.92)],
        "test_accuracy": [(0, 0.89), (1, 0.9), (2, 0.91)],
    }


# flax examples/nnx_toy_examples/04_data_parallel_with_jit.py: the model's and the data's
# sharding drawn by jax.debug.visualize_array_sharding (rich), then the training loop's lines.
SHARDING = """\
model sharding
┌──────────────────────────────────────────────┐
│                                              │
│             CPU 0,1,2,3,4,5,6,7              │
│                                              │
└──────────────────────────────────────────────┘
data sharding
┌───────┐
│ CPU 0 │
├───────┤
│ CPU 1 │
├───────┤
│ CPU 2 │
└───────┘
┌───────────┬───────────┐
│   TPU 0   │   TPU 1   │
├───────────┼───────────┤
│   TPU 2   │   TPU 3   │
└───────────┴───────────┘
step=0, loss=2.2516560554504395
step=100, loss=0.10389938205480576
"""


def test_array_sharding_boxes_give_no_metric() -> None:
    series = _collected(SHARDING)
    assert series == {"loss": [(0, 2.2516560554504395), (100, 0.10389938205480576)]}


def test_flax_nlp_seq_train_in_step_lines_take_the_step_not_a_metric() -> None:
    # flax examples/nlp_seq/train.py: logging.info('train in step: %d, loss: %.4f', ...) and
    # 'eval in step: %d, loss: %.4f, accuracy: %.4f', through absl's prefix on stderr
    printed = (
        "I1207 04:01:53.804345 139831497603968 train.py:370] train in step: 100, loss: 0.4567\n"
        "I1207 04:01:54.804345 139831497603968 train.py:408] "
        "eval in step: 100, loss: 0.5123, accuracy: 0.8125\n"
        "I1207 04:01:58.804345 139831497603968 train.py:370] train in step: 200, loss: 0.3012\n"
    )
    series = _collected(printed, "stderr")
    assert series == {
        "train_loss": [(100, 0.4567), (200, 0.3012)],
        "eval_loss": [(100, 0.5123)],
        "eval_accuracy": [(100, 0.8125)],
    }


def test_printed_dicts_of_jax_and_numpy_scalars_are_read() -> None:
    # print(f"epoch {epoch}: {metrics}") with metrics a dict of jax.Array (or, fetched with
    # jax.device_get, of NumPy 2 scalars, whose repr names the type)
    printed = (
        "epoch 1: {'loss': Array(0.51, dtype=float32), 'accuracy': Array(0.8, dtype=float32)}\n"
        "epoch 2: {'loss': np.float32(0.42), 'accuracy': np.float32(0.85)}\n"
        "{'step': 3, 'loss': Array(0.4, dtype=float32, weak_type=True)}\n"
    )
    series = _collected(printed)
    assert series == {
        "loss": [(1, 0.51), (2, 0.42), (3, 0.4)],
        "accuracy": [(1, 0.8), (2, 0.85)],
    }


def test_self_documenting_f_strings_of_jax_numpy_and_torch_scalars_are_read() -> None:
    # print(f"{step=}, {loss=}"): the = specifier prints each value's repr
    printed = (
        "step=0, loss=Array(2.3025851, dtype=float32)\n"
        "step=100, loss=np.float32(0.51)\n"
        "step=200, loss=tensor(0.4200, grad_fn=<NllLossBackward0>)\n"
    )
    assert _collected(printed) == {"loss": [(0, 2.3025851), (100, 0.51), (200, 0.42)]}


def test_haiku_split_records_are_a_series_per_split() -> None:
    # dm-haiku examples/mnist.py prints
    # {"step": step, "split": split, "accuracy": f"{accuracy:.3f}"} for train and test;
    # examples/vae.py logs {"step": step, "split": split, "elbo": ...} through absl
    printed = "".join(
        str({"step": step, "split": split, "accuracy": f"{0.5 + step / 1000 + bump:.3f}"}) + "\n"
        for step in (0, 100)
        for split, bump in (("train", 0.01), ("test", 0.0))
    ) + (
        "I1207 04:01:53.804345 1398 vae.py:194] {'step': 0, 'split': 'train', 'elbo': -543.2}\n"
        "I1207 04:01:53.904345 1398 vae.py:194] {'step': 0, 'split': 'test', 'elbo': -544.5}\n"
    )
    assert _collected(printed) == {
        "train_accuracy": [(0, 0.51), (100, 0.61)],
        "test_accuracy": [(0, 0.5), (100, 0.6)],
        "train_elbo": [(0, -543.2)],
        "test_elbo": [(0, -544.5)],
    }


# What flax's nnx.display(model) prints without treescope (the NNX mnist tutorial calls it
# on its CNN and its optimizer), cut to two layers: the model's repr, a field a line, nested.
NNX_DISPLAY = """\
CNN( # Param: 824,650 (3.3 MB), BatchStat: 192 (768 B), Total: 824,842 (3.3 MB)
  conv1=Conv( # Param: 320 (1.3 KB)
    kernel_shape=(3, 3, 1, 32),
    kernel=Param( # 288 (1.2 KB)
      value=Array(shape=(3, 3, 1, 32), dtype=dtype('float32'))
    ),
    in_features=1,
    out_features=32,
    strides=1,
    padding='SAME',
    preferred_element_type=None
  ),
  batch_norm1=BatchNorm( # Param: 64 (256 B), BatchStat: 64 (256 B), Total: 128 (512 B)
    mean=BatchStat( # 32 (128 B)
      value=Array(shape=(32,), dtype=dtype('float32'))
    ),
    num_features=32,
    axis=-1,
    momentum=0.99,
    epsilon=1e-05,
    promote_dtype=<function promote_dtype at 0x7f2a54339a80>
  ),
  dropout1=Dropout(
    rate=0.025,
    rngs=None
  )
)
"""

# Equinox's print(model): a tuple of layers, one-line layers among them.
EQUINOX_PRINT = """\
Sequential(
  layers=(
    Conv2d(
      num_spatial_dims=2,
      weight=f32[3,1,4,4],
      in_channels=1,
      out_channels=3,
      groups=1,
      padding_mode='ZEROS'
    ),
    Lambda(fn=<PjitFunction of <function relu at 0x7ff50e598040>>),
    Linear(
      weight=f32[2,4], bias=f32[2], in_features=4, out_features=2, use_bias=True
    ),
    Dropout(p=0.1, inference=False),
    BatchNorm(
      weight=f32[4],
      input_size=4,
      eps=1e-05,
      momentum=0.99
    )
  )
)
"""


def test_a_printed_model_repr_is_no_metric_and_the_lines_after_it_are() -> None:
    after = "step: 0, loss: 2.31\nstep: 100, loss: 0.52\nloss=0.5 acc=0.75\n"
    assert _collected(NNX_DISPLAY + after) == {
        "loss": [(0, 2.31), (100, 0.52), (101, 0.5)],
        "acc": [(100, 0.75)],
    }
    assert _collected(EQUINOX_PRINT + after) == _collected(after)
