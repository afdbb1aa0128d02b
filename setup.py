"""Only the optional compiled core (``axon/_core/_ccore.pyx``); the rest of the package is
declared in setup.cfg.  Without Cython or a C compiler the install goes on in pure Python
(``axon.core_implementation`` then says "python"); ``AXON_PURE_PYTHON=1`` skips the build."""

import hashlib
import os
import sys
from pathlib import Path

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
    pyx = "axon/_core/_ccore.pyx"
    # the source's hash, built in: axon/_core/_task.py does not use a build older than the
    # .pyx beside it (a stale build after an edit)
    sha = hashlib.sha256(Path(pyx).read_bytes()).hexdigest()[:16]
    ext = Extension("axon._core._ccore", [pyx], define_macros=[("AXON_PYX_SHA", f'"{sha}"')])
    try:
        return list(cythonize([ext], quiet=True))
    except Exception as exc:  # noqa: BLE001 - as above
        _skipped(exc)
        return []


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
