"""Every model family, one module each. Importing this package registers them all."""
import importlib
import pkgutil

# Import every module in this package so each family's @register_model runs; adding a family
# is adding a file, with no list to keep in step.
for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
