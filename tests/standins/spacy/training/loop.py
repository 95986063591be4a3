"""spaCy 3's ``train(nlp, output_path)``: the training loop, printing its table of losses
and scores every ``eval_frequency`` steps up to ``max_steps``."""

import os
import sys


def train(nlp, output_path=None, *, use_gpu=-1, stdout=sys.stdout, stderr=sys.stderr):
    training = nlp.config.interpolate()["training"]
    print(f"ℹ Pipeline: {nlp.pipe_names}", file=stdout)
    print(f"ℹ Initial learn rate: {training['optimizer']['learn_rate']}", file=stdout)
    print("E    #       LOSS TOK2VEC  LOSS TEXTCAT  CATS_SCORE  SCORE ", file=stdout)
    print("---  ------  ------------  ------------  ----------  ------", file=stdout)
    for step in range(0, training["max_steps"] + 1, training["eval_frequency"]):
        loss, score = 0.25 + step * 0.2, 33.33 + step * 10
        print(
            f"{step:>3}  {step:>6}  {0.0:>12.2f}  {loss:>12.2f}  {score:>10.2f}  "
            f"{score / 100:>6.2f}",
            file=stdout,
        )
    if output_path is not None:
        os.makedirs(os.path.join(output_path, "model-last"), exist_ok=True)
        print("✔ Saved pipeline to output directory", file=stdout)
        print(os.path.join(output_path, "model-last"), file=stdout)
    return nlp
