"""Models configured by their constructor alone give the params the program chose.

gensim's ``Word2Vec(sentences, vector_size=32, window=3)`` and Prophet's
``Prophet(changepoint_prior_scale=0.5)`` have no fit of scikit-learn's to hook: the arguments
that differ from the constructor's defaults are the run's params. umap-learn's ``UMAP`` is
a scikit-learn estimator without ``predict``: its params as a model's. Each library is
imitated by a module of the same name in the program's folder (its constructor's signature
as the library has it), and run for real where it is installed.
"""

from __future__ import annotations

import sys

from tests.conftest import Repo
from tests.test_autocapture import exec_run
from tests.test_autocapture_libs import needs, program

FAKE_WORD2VEC = """\
class Word2Vec:
    def __init__(self, sentences=None, corpus_file=None, vector_size=100, alpha=0.025,
                 window=5, min_count=5, seed=1, workers=3, sg=0, epochs=5, callbacks=()):
        self.vector_size = vector_size


class FastText(Word2Vec):
    def __init__(self, sentences=None, vector_size=100, window=5, min_n=3, epochs=5):
        super().__init__(sentences=sentences, vector_size=vector_size, window=window,
                         min_count=5, seed=1, workers=3, epochs=epochs)
"""

FAKE_PROPHET = """\
class Prophet:
    def __init__(self, growth="linear", changepoints=None, n_changepoints=25,
                 yearly_seasonality="auto", seasonality_mode="additive",
                 changepoint_prior_scale=0.05, mcmc_samples=0, stan_backend=None):
        self.growth = growth

    def fit(self, df):
        return self
"""


def _imitate(repo: Repo, path: str, source: str) -> None:
    parts = path.split("/")
    for depth in range(1, len(parts)):
        repo.write("/".join([*parts[:depth], "__init__.py"]), "")
    repo.write(path, source)


def test_word2vec_arguments_that_differ_from_their_defaults_are_params(repo: Repo) -> None:
    # Before: the run had no params at all.
    _imitate(repo, "gensim/models/word2vec.py", FAKE_WORD2VEC)
    program(
        repo,
        """\
        from gensim.models.word2vec import Word2Vec

        sentences = [["cat", "say", "meow"], ["dog", "say", "woof"]]
        model = Word2Vec(sentences, vector_size=32, window=3, min_count=1, workers=4, seed=1)
        print("vocabulary built")
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["params"] == {"vector_size": 32, "window": 3, "min_count": 1}
    assert run["param_sources"]["vector_size"] == "gensim"


def test_a_subclass_passing_every_argument_on_gives_only_the_chosen_ones(repo: Repo) -> None:
    _imitate(repo, "gensim/models/word2vec.py", FAKE_WORD2VEC)
    program(
        repo,
        """\
        from gensim.models.word2vec import FastText

        FastText([["a", "b"]], vector_size=16)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["params"] == {"vector_size": 16}


def test_prophet_constructor_arguments_are_params(repo: Repo) -> None:
    _imitate(repo, "prophet/forecaster.py", FAKE_PROPHET)
    program(
        repo,
        """\
        from prophet.forecaster import Prophet

        model = Prophet(changepoint_prior_scale=0.5, seasonality_mode="multiplicative",
                        yearly_seasonality=False, stan_backend="CMDSTANPY")
        model.fit(None)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["params"] == {
        "changepoint_prior_scale": 0.5,
        "seasonality_mode": "multiplicative",
        "yearly_seasonality": False,
    }
    assert run["param_sources"]["changepoint_prior_scale"] == "prophet"


@needs("gensim")
def test_real_gensim_word2vec(repo: Repo) -> None:
    program(
        repo,
        """\
        from gensim.models import Word2Vec

        sentences = [["cat", "say", "meow"], ["dog", "say", "woof"]] * 20
        model = Word2Vec(sentences=sentences, vector_size=32, window=3, min_count=1, epochs=2)
        print("vocab", len(model.wv))
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["params"] == {"vector_size": 32, "window": 3, "min_count": 1, "epochs": 2}


@needs("umap", "sklearn")
def test_real_umap_embedding_params(repo: Repo) -> None:
    # Before: UMAP has no predict, so it counted as a transformer: no params.
    program(
        repo,
        """\
        import numpy as np
        import umap

        X = np.random.RandomState(0).rand(60, 4)
        print(umap.UMAP(n_neighbors=10, min_dist=0.3).fit_transform(X).shape)
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["params"] == {"n_neighbors": 10, "min_dist": 0.3}
    assert run["param_sources"]["n_neighbors"] == "sklearn"


FAKE_MCMC = """\
class MCMC:
    def __init__(self, sampler, *, num_warmup, num_samples, num_chains=1, thinning=1,
                 postprocess_fn=None, chain_method="parallel", progress_bar=True,
                 progress_rate=None, jit_model_args=False):
        self.num_samples = num_samples

    def print_summary(self):
        print()
        print("                mean       std    median      5.0%     95.0%     n_eff     r_hat")
        print("        mu      4.29      2.53      4.12     -0.43      8.16     41.13      1.00")
        print("       tau      3.50      2.44      2.66      0.85      7.41     19.23      1.13")
        print()
        print("Number of divergences: 8")
"""


def test_numpyro_mcmc_settings_are_params_and_its_divergences_a_metric(repo: Repo) -> None:
    # numpyro's README (eight schools): MCMC(NUTS(model), num_warmup=500, num_samples=1000),
    # then mcmc.print_summary(). Before: no params, no metric.
    _imitate(repo, "numpyro/infer/mcmc.py", FAKE_MCMC)
    program(
        repo,
        """\
        from numpyro.infer.mcmc import MCMC

        mcmc = MCMC(object(), num_warmup=500, num_samples=1000, progress_bar=False)
        mcmc.print_summary()
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["params"] == {"num_warmup": 500, "num_samples": 1000}
    assert run["param_sources"]["num_samples"] == "numpyro"
    assert run["metrics"] == {"divergences": 8}


@needs("numpyro")
def test_real_numpyro_mcmc(repo: Repo) -> None:
    program(
        repo,
        """\
        import jax
        import numpyro
        import numpyro.distributions as dist
        from numpyro.infer import MCMC, NUTS

        def model():
            numpyro.sample("mu", dist.Normal(0, 1))

        mcmc = MCMC(NUTS(model), num_warmup=50, num_samples=60, progress_bar=False)
        mcmc.run(jax.random.PRNGKey(0))
        mcmc.print_summary()
        """,
    )

    _, run = exec_run(repo, sys.executable, "train.py")

    assert run["params"] == {"num_warmup": 50, "num_samples": 60}
    assert "divergences" in run["metrics"] and set(run["metrics"]) == {"divergences"}
