"""`tools/setup --gvsoc SRC` (tools/gvsoc_install.py) and how qlr finds its build.

A fake GVSoC source (a Makefile whose `build` target installs a launcher that echoes its
arguments, and counts how often it ran) stands in for the real one: the real build is exercised
by CI, which builds ../shared/gvsoc/ and runs every pulp-open test on it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from qlr import REPO_ROOT
from qlr.boards.runner import find_gvsoc
from qlr.errors import QlrError

INSTALLER = REPO_ROOT / "tools" / "gvsoc_install.py"

FAKE_MAKEFILE = """\
build:
\tmkdir -p $(INSTALLDIR)/bin
\tprintf '#!/bin/sh\\necho "fake-gvsoc PATH0=$${PATH%%%%:*} $$*"\\n' > $(INSTALLDIR)/bin/gvsoc
\tchmod +x $(INSTALLDIR)/bin/gvsoc
\techo "$(TARGETS)" >> $(BUILD_COUNT)
\ttest -z "$(FAIL)"
"""


def fake_source(root: Path) -> Path:
    src = root / "gvsoc"
    (src / "core").mkdir(parents=True)
    (src / "Makefile").write_text(FAKE_MAKEFILE)
    return src


def install(src: str | Path, cache: Path, count: Path, *extra: str, fail: str = "") -> subprocess.CompletedProcess:
    env = dict(os.environ, QLR_CACHE=str(cache), BUILD_COUNT=str(count), FAIL=fail)
    return subprocess.run([sys.executable, str(INSTALLER), str(src), *extra], env=env, capture_output=True,
                          text=True, timeout=300)


def builds(count: Path) -> list[str]:
    return count.read_text().split("\n")[:-1] if count.exists() else []


def test_builds_once_per_source_and_leaves_a_launcher_that_needs_no_path(tmp_path):
    src, cache, count = fake_source(tmp_path), tmp_path / "cache", tmp_path / "count"
    r = install(src, cache, count)
    assert r.returncode == 0, r.stderr
    launcher = Path(r.stdout.strip())
    assert builds(count) == ["pulp-open"]
    # The launcher lives in the cache, under a key of the source, and `current` points at it.
    assert launcher.parent.parent == cache / "gvsoc"
    assert (cache / "gvsoc" / "current").resolve() == launcher.parent.resolve()
    info = json.loads((launcher.parent / "BUILT.json").read_text())
    assert info["source"] == {"kind": "directory", "path": str(src.resolve())} and info["targets"] == ["pulp-open"]
    # It runs with a bare environment: its own venv comes first on PATH.
    out = subprocess.run([str(launcher), "--target=pulp-open", "x"], capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin"}, check=True).stdout
    assert out.strip() == f"fake-gvsoc PATH0={launcher.parent / 'venv' / 'bin'} --target=pulp-open x"

    again = install(src, cache, count)
    assert again.returncode == 0 and Path(again.stdout.strip()) == launcher
    assert builds(count) == ["pulp-open"], "a second run with the same source must build nothing"
    assert "nothing to do" in again.stderr

    # Other targets, or a changed source, are another build in another folder.
    other = install(src, cache, count, "--targets", "pulp-open,pulp-open-nn")
    assert other.returncode == 0 and Path(other.stdout.strip()) != launcher
    assert builds(count) == ["pulp-open", "pulp-open pulp-open-nn"]
    (src / "core" / "new.cpp").write_text("// changed\n")
    changed = install(src, cache, count)
    assert changed.returncode == 0 and Path(changed.stdout.strip()) not in (launcher, Path(other.stdout.strip()))
    assert len(builds(count)) == 3


def test_a_tarball_source_unpacks_and_builds(tmp_path):
    src, cache, count = fake_source(tmp_path / "tree"), tmp_path / "cache", tmp_path / "count"
    tgz = tmp_path / "gvsoc-src.tar.gz"
    with tarfile.open(tgz, "w:gz") as tf:
        tf.add(src, arcname="gvsoc")
    r = install(tgz, cache, count)
    assert r.returncode == 0, r.stderr
    launcher = Path(r.stdout.strip())
    assert (launcher.parent / "src" / "Makefile").is_file() and builds(count) == ["pulp-open"]
    assert install(tgz, cache, count).returncode == 0 and builds(count) == ["pulp-open"]


def test_a_failed_build_says_where_the_log_is_and_keeps_the_previous_build(tmp_path):
    good, cache, count = fake_source(tmp_path / "a"), tmp_path / "cache", tmp_path / "count"
    first = Path(install(good, cache, count).stdout.strip())
    bad = fake_source(tmp_path / "b")
    r = install(bad, cache, count, fail="yes")
    assert r.returncode == 1
    assert "make failed" in r.stderr and "build.log" in r.stderr
    assert (cache / "gvsoc" / "current").resolve() == first.parent.resolve()
    failed_dirs = [d for d in (cache / "gvsoc").iterdir() if d.is_dir() and d.name not in ("current", first.parent.name)]
    assert failed_dirs and not any((d / "BUILT.json").exists() for d in failed_dirs)
    # Fixed, the same source builds (the unfinished folder is replaced).
    r = install(bad, cache, count)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("make_src,message", [
    (lambda p: p / "missing", "no such file or directory"),
    (lambda p: (p / "f.txt").write_text("x") and p / "f.txt", "not a tar archive"),
    (lambda p: (p / "empty").mkdir() or p / "empty", "not a GVSoC source tree"),
    (lambda p: "https://example.org/someone/fork.git", "name the commit"),
])
def test_bad_sources_get_one_clear_line(tmp_path, make_src, message):
    r = install(make_src(tmp_path), tmp_path / "cache", tmp_path / "count")
    assert r.returncode == 1 and message in r.stderr and "Traceback" not in r.stderr


def test_git_sources_pin_the_tested_commit_unless_told():
    sys.path.insert(0, str(INSTALLER.parent))
    try:
        import gvsoc_install as g
    finally:
        sys.path.pop(0)
    assert g.split_url("https://github.com/gvsoc/gvsoc") == ("https://github.com/gvsoc/gvsoc", g.PINNED_COMMIT)
    assert g.split_url("github:gvsoc/gvsoc") == ("https://github.com/gvsoc/gvsoc", g.PINNED_COMMIT)
    assert g.split_url("git@github.com:me/gvsoc.git@0123abc") == ("git@github.com:me/gvsoc.git", "0123abc")
    assert g.describe_source("https://github.com/gvsoc/gvsoc@1234567")["commit"] == "1234567"


def test_tools_setup_passes_gvsoc_options_through(tmp_path):
    src = fake_source(tmp_path)
    env = dict(os.environ, QLR_CACHE=str(tmp_path / "cache"), BUILD_COUNT=str(tmp_path / "count"))
    r = subprocess.run(["bash", str(REPO_ROOT / "tools" / "setup"), "--no-apt", "--no-pip", "--gvsoc", str(src),
                        "--gvsoc-targets", "pulp-open-nn"], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert builds(tmp_path / "count") == ["pulp-open-nn"]
    r = subprocess.run(["bash", str(REPO_ROOT / "tools" / "setup"), "--no-apt", "--no-pip", "--gvsoc"], env=env,
                       capture_output=True, text=True)
    assert r.returncode == 2 and "--gvsoc needs a source" in r.stderr


def _launcher(path: Path, mode: int = 0o755) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(mode)
    return path


def test_find_gvsoc_prefers_the_option_then_the_environment_then_the_cached_build(tmp_path, monkeypatch):
    monkeypatch.setenv("QLR_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("GVSOC", raising=False)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no gvsoc on PATH
    assert find_gvsoc() is None
    cached = _launcher(tmp_path / "cache" / "gvsoc" / "k1" / "gvsoc")
    (tmp_path / "cache" / "gvsoc" / "current").symlink_to("k1")
    assert find_gvsoc() == str(cached.resolve())
    env_one = _launcher(tmp_path / "env" / "gvsoc")
    monkeypatch.setenv("GVSOC", str(env_one))
    assert find_gvsoc() == str(env_one.resolve())
    opt = _launcher(tmp_path / "opt" / "gvsoc")
    assert find_gvsoc(str(opt)) == str(opt.resolve())
    # A launcher named explicitly but unusable is an error, not a silent fallback.
    monkeypatch.setenv("GVSOC", str(_launcher(tmp_path / "noexec" / "gvsoc", 0o644)))
    with pytest.raises(QlrError, match=r"\$GVSOC names .* not an executable"):
        find_gvsoc()
    with pytest.raises(QlrError, match="--gvsoc names"):
        find_gvsoc(str(tmp_path / "nowhere"))
