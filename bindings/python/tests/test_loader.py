"""Finding the shared library: LIBAE_LIBRARY, then pkg-config, then the
standard search, and an error listing every attempt when all fail. Each case
runs in a fresh interpreter, since a process loads the library once."""

import os
import subprocess

import pytest

import libae
from conftest import PYTHON, subprocess_env

PROBE = ("import libae\n"
         "try:\n"
         "    print('OK', libae.library_path(), libae.version_string())\n"
         "except libae.LibraryNotFoundError as e:\n"
         "    print('FAIL'); print(e); print(len(e.attempts))\n")


def probe(**env):
    proc = subprocess.run([PYTHON, "-c", PROBE], env=subprocess_env(**env),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout.decode()


@pytest.fixture(scope="module")
def installed():
    """The installed library in use by this test run, and its directory."""
    path = libae.library_path()
    return path, os.path.dirname(path)


def test_loaded_library_is_the_installed_one(installed):
    path, libdir = installed
    assert os.path.basename(path).startswith("libae.so.0")
    v = libae.version()
    assert v // 10000 == 0  # the major version this binding speaks
    assert libae.version_string() == "%d.%d.%d" % (v // 10000, v // 100 % 100, v % 100)


def test_library_comes_from_the_prefix_under_test(installed):
    prefix = os.environ.get("LIBAE_TEST_PREFIX")
    if not prefix:
        pytest.skip("LIBAE_TEST_PREFIX not set (ci.sh sets it to the prefix under test)")
    path, _ = installed
    assert os.path.realpath(path).startswith(os.path.realpath(prefix) + os.sep), path


def test_env_var_wins(installed):
    path, _ = installed
    out = probe(LIBAE_LIBRARY=path, PKG_CONFIG="/nonexistent/pkg-config")
    assert out.startswith("OK " + path)


def test_env_var_that_fails_is_an_error_without_fallback(installed, tmp_path):
    bogus = str(tmp_path / "libae.so.0")
    out = probe(LIBAE_LIBRARY=bogus)  # pkg-config would work, but is not tried
    assert out.startswith("FAIL")
    assert "LIBAE_LIBRARY=" + bogus in out and "no file" in out
    assert out.strip().endswith("\n1")

    not_a_lib = tmp_path / "junk.so"
    not_a_lib.write_bytes(b"not an ELF file")
    out = probe(LIBAE_LIBRARY=str(not_a_lib))
    assert out.startswith("FAIL") and "cannot load" in out


def test_pkg_config(installed):
    path, libdir = installed
    if not os.environ.get("PKG_CONFIG_PATH"):
        pytest.skip("PKG_CONFIG_PATH not set: this run found libae another way")
    out = probe(LIBAE_LIBRARY=None, LD_LIBRARY_PATH=None)
    assert out.startswith("OK " + libdir)


def test_standard_search_through_ld_library_path(installed):
    path, libdir = installed
    out = probe(LIBAE_LIBRARY=None, PKG_CONFIG="/nonexistent/pkg-config",
                LD_LIBRARY_PATH=libdir)
    assert out.startswith("OK " + libdir), out


def test_nothing_found_lists_every_attempt(installed):
    env = dict(LIBAE_LIBRARY=None, PKG_CONFIG="/nonexistent/pkg-config", LD_LIBRARY_PATH=None)
    out = probe(**env)
    if out.startswith("OK"):
        pytest.skip("libae is installed system-wide: " + out)
    assert out.startswith("FAIL")
    for what in ("LIBAE_LIBRARY: not set", "pkg-config --variable=libdir ae",
                 "ctypes.util.find_library('ae')", "dynamic loader"):
        assert what in out, out
    assert out.strip().endswith("\n4")


def test_pkg_config_without_the_package(installed, tmp_path):
    out = probe(LIBAE_LIBRARY=None, PKG_CONFIG_PATH=str(tmp_path), PKG_CONFIG_LIBDIR=str(tmp_path),
                LD_LIBRARY_PATH=None)
    if out.startswith("OK"):
        pytest.skip("libae is installed system-wide: " + out)
    assert "package 'ae' not found" in out


def test_library_not_found_error_is_an_oserror():
    e = libae.LibraryNotFoundError([("a", "b")])
    assert isinstance(e, OSError) and "  - a: b" in str(e) and e.attempts == [("a", "b")]
