"""Only the optional compiled core (``axon/_core/_ccore.pyx``); the rest of the package is
declared in setup.cfg.  Without Cython or a C compiler the install goes on in pure Python
(``axon.core_implementation`` then says "python"); ``AXON_PURE_PYTHON=1`` skips the build."""

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """build_ext whose failure (no compiler, no Python headers) leaves a pure-Python install."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # noqa: BLE001 - any build failure: install without it
            _skipped(exc)

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:  # noqa: BLE001 - as above
            _skipped(exc)


def _skipped(exc: BaseException) -> None:
    print(f"axon: the compiled core was not built ({exc}); using the pure-Python core",
          file=sys.stderr)


def _extensions() -> list[Extension]:
    if os.environ.get("AXON_PURE_PYTHON", "") not in ("", "0"):
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        _skipped(ImportError("Cython is not installed"))
        return []
    try:
        return list(cythonize([Extension("axon._core._ccore", ["axon/_core/_ccore.pyx"])],
                              quiet=True))
    except Exception as exc:  # noqa: BLE001 - as above
        _skipped(exc)
        return []


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
