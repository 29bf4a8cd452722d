"""Package discovery for the two import packages that live under other folder names.

setup.cfg maps `har_convert` to `convert/` and `har_device` to `device/`; `find:` cannot follow such a
mapping, so the subpackages are listed here from the folders themselves.
"""
from setuptools import find_packages, setup

PACKAGE_DIRS = {"har_convert": "convert", "har_device": "device"}


def _packages() -> list[str]:
    found = []
    for name, folder in PACKAGE_DIRS.items():
        found.append(name)
        found.extend(f"{name}.{sub}" for sub in find_packages(folder))
    return found


setup(packages=_packages(), package_dir=PACKAGE_DIRS)
