"""A tiny training script with no dependencies: logistic regression on synthetic data.

It prints one metrics line per epoch (``epoch=3 loss=0.41 acc=0.88``), which is all
``runledger exec`` needs to record the run's learning curve.
"""

from __future__ import annotations

import argparse
import math
import random


def make_data(n: int, rng: random.Random) -> list[tuple[float, float, int]]:
    data = []
    for _ in range(n):
        x1, x2 = rng.gauss(0, 1), rng.gauss(0, 1)
        label = 1 if x1 + 0.5 * x2 + rng.gauss(0, 0.5) > 0 else 0
        data.append((x1, x2, label))
    return data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    data = make_data(500, rng)
    w1 = w2 = b = 0.0
    for epoch in range(1, args.epochs + 1):
        loss = correct = 0.0
        for x1, x2, label in data:
            p = 1 / (1 + math.exp(-(w1 * x1 + w2 * x2 + b)))
            loss -= math.log(p if label else 1 - p)
            correct += (p > 0.5) == bool(label)
            grad = p - label
            w1 -= args.lr * grad * x1
            w2 -= args.lr * grad * x2
            b -= args.lr * grad
        print(f"epoch={epoch} loss={loss / len(data):.4f} acc={correct / len(data):.4f}")


if __name__ == "__main__":
    main()
