"""Bundles libfeast.so into the `feast` package when building (pip install
./sdk/python, or `make wheel`): $FEAST_LIB if set, else the repository's
build/libfeast.so, built with `make lib` when missing. The wheel is tagged
py3-none-<platform>: pure Python over a shared library loaded with ctypes."""
import os
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))


def find_library():
    env = os.environ.get("FEAST_LIB")
    if env:
        return env
    built = os.path.join(REPO, "build", "libfeast.so")
    if not os.path.exists(built) and os.path.exists(os.path.join(REPO, "Makefile")):
        subprocess.run(["make", "-C", REPO, "-j2", "lib"], check=True)
    if not os.path.exists(built):
        raise SystemExit("libfeast.so not found: set FEAST_LIB or run `make lib` in the feast-c repository")
    return built


class BuildWithLibrary(build_py):
    def run(self):
        super().run()
        dest = os.path.join(self.build_lib, "feast", "libfeast.so")
        shutil.copyfile(find_library(), dest)
        os.chmod(dest, 0o755)


class BinaryDistribution(Distribution):
    def has_ext_modules(self):
        return True


cmdclass = {"build_py": BuildWithLibrary}
try:
    try:
        from setuptools.command.bdist_wheel import bdist_wheel
    except ImportError:
        from wheel.bdist_wheel import bdist_wheel

    class PlatformWheel(bdist_wheel):
        def get_tag(self):
            _, _, plat = super().get_tag()
            return "py3", "none", plat

    cmdclass["bdist_wheel"] = PlatformWheel
except ImportError:  # pragma: no cover - one of the two is always there
    pass

setup(cmdclass=cmdclass, distclass=BinaryDistribution)
