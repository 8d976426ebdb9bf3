"""Training for Inpainting Hub: recipes reproducing the reports, one trainer, Hub upload.

``python -m train --recipe NAME --data PATH --out DIR`` trains any registered family and ends in a
``save_pretrained`` folder that :func:`inpainting.load_model` opens; ``python -m train --list-recipes``
describes the recipes; ``python -m train.push DIR --repo-id ORG/NAME`` uploads a trained folder.

``train`` imports ``inpainting``, never the reverse.
"""
from train.recipes import RECIPES, Recipe, get_recipe, list_recipes, register_recipe
from train.trainer import TrainOptions, Trainer

__all__ = ["RECIPES", "Recipe", "TrainOptions", "Trainer", "get_recipe", "list_recipes", "register_recipe", "train"]


def train(recipe: str | Recipe, **options):
    """Train ``recipe`` with :class:`TrainOptions` keyword arguments; returns the model folder."""
    recipe = get_recipe(recipe) if isinstance(recipe, str) else recipe
    return Trainer(recipe, TrainOptions(**options)).fit()
