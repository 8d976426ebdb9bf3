"""Training for Inpainting Hub: recipes reproducing the reports, one trainer, Hub upload.

``python -m train --recipe NAME --data PATH --out DIR`` trains any registered family and ends in a
``save_pretrained`` folder that :func:`inpainting.load_model` opens; ``python -m train --list-recipes``
describes the recipes; ``python -m train.push DIR --repo-id ORG/NAME`` uploads a trained folder.

``train`` imports ``inpainting``, never the reverse.
"""
import inspect

from train.recipes import RECIPES, Recipe, get_recipe, list_recipes, register_recipe
from train.trainer import TrainOptions, Trainer

__all__ = ["RECIPES", "Recipe", "TrainOptions", "Trainer", "get_recipe", "list_recipes", "register_recipe", "train"]


#: Keyword arguments of :func:`train` that change the recipe (those of :meth:`Recipe.override`), not the run.
RECIPE_OVERRIDES = tuple(inspect.signature(Recipe.override).parameters)[1:]


def train(recipe: str | Recipe, **options):
    """Train ``recipe`` with :meth:`Recipe.override` and :class:`TrainOptions` keyword arguments
    (``train("cifar10-pconv", data=..., out=..., size=32, steps=100)``); returns the model folder."""
    recipe = get_recipe(recipe) if isinstance(recipe, str) else recipe
    recipe = recipe.override(**{k: options.pop(k) for k in RECIPE_OVERRIDES if k in options})
    return Trainer(recipe, TrainOptions(**options)).fit()
