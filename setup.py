"""The wheel carries the page and its data: app.py, data/, static/ and .streamlit/config.toml
from the repository's top level, copied into ``dashboard/bundle/`` (``dashboard.ROOT``).

They stay at the top level of the repository, where `streamlit run app.py` and the build
scripts use them; an editable install (`pip install -e .`) reads them there.
Everything else is in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

TOP = Path(__file__).resolve().parent
BUNDLED = ["app.py", "data", "static", ".streamlit/config.toml"]


class BuildWithBundle(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # `pip install -e .` finds them in the checkout
            return
        bundle = Path(self.build_lib) / "dashboard" / "bundle"
        for name in BUNDLED:
            source = TOP / name
            if source.is_dir():
                self.copy_tree(str(source), str(bundle / name))
            else:
                self.mkpath(str((bundle / name).parent))
                self.copy_file(str(source), str(bundle / name))


setup(cmdclass={"build_py": BuildWithBundle})
