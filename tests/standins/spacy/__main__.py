import sys

from spacy.cli.train import train_cli

if __name__ == "__main__":
    train_cli(sys.argv[1:])
