"""``python -m train.evaluate``."""
from train.evaluate.cli import main

main()
