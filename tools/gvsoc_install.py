#!/usr/bin/env python3
"""Build GVSoC (the PULP simulator) from a source the user names, into a cache outside the repository.

Called by `tools/setup --gvsoc SRC` after the Debian build dependencies are in place; standard
library only (it runs before the project's own Python package is installed).

SRC is one of
  * a source tarball (`gvsoc-209c147-src.tar.gz`, unpacking to `gvsoc/` with its submodules),
  * a source directory (a checkout with its submodules),
  * a git URL, optionally pinned with `@COMMIT` (`https://github.com/gvsoc/gvsoc@209c147`); the
    GitHub URL of gvsoc/gvsoc without a pin gets the commit this project is tested with.

The build lands in `$QLR_CACHE/gvsoc/<key>/` (default `~/.cache/qlr/gvsoc/<key>/`), where the key
is a hash of the source (the tarball's bytes, the directory's files, or the URL and commit) and
of the targets. That folder holds `src/`, `venv/` (GVSoC's Python requirements), `install/`, a
build log, `BUILT.json` (what was built, from what, how long it took) and `gvsoc`, a launcher that
puts the venv first on PATH itself. `$QLR_CACHE/gvsoc/current` points at the newest build; `qlr`
uses it when neither --gvsoc nor $GVSOC names a launcher. A second run with the same source and
targets builds nothing. GVSoC's code is never copied into the repository.
"""
from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

# The GVSoC commit this project's pulp-open board is tested with (../shared/gvsoc/ pins the same).
PINNED_COMMIT = "209c147"
PINNED_REPO = "github.com/gvsoc/gvsoc"
DEFAULT_TARGETS = ("pulp-open",)
# GVSoC's Python requirements, relative to its source root (a missing file is skipped).
REQUIREMENTS = ("requirements.txt", "core/requirements.txt", "gapy/requirements.txt",
                "gvrun/requirements.txt", "gvtest/requirements.txt")


def log(msg: str) -> None:
    print(f"[setup] gvsoc: {msg}", file=sys.stderr, flush=True)


class SetupError(Exception):
    pass


def cache_root() -> Path:
    base = os.environ.get("QLR_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "qlr")
    return Path(base) / "gvsoc"


def is_git_url(src: str) -> bool:
    return bool(re.match(r"^(https?|ssh|git)://|^git@|^github:", src)) or src.endswith(".git")


def split_url(src: str) -> tuple[str, str]:
    """(url, commit) of a git source; the pinned commit for gvsoc/gvsoc when none is given."""
    url, commit = src, ""
    m = re.match(r"^(.*/[^/@]+?)@([0-9a-fA-F]{7,40})$", src)
    if m:
        url, commit = m.group(1), m.group(2)
    if url.startswith("github:"):
        url = "https://github.com/" + url[len("github:"):]
    if not commit:
        if PINNED_REPO in url.removesuffix(".git"):
            commit = PINNED_COMMIT
        else:
            raise SetupError(f"{src}: name the commit to build (URL@COMMIT); only {PINNED_REPO} has a default pin")
    return url, commit


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def dir_fingerprint(path: Path) -> str:
    """Hash of every file's path, size and modification time below `path` (build outputs excluded)."""
    h = hashlib.sha256()
    skip = {"build", "install", ".git", "__pycache__"}
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d not in skip)
        for name in sorted(files):
            p = Path(root) / name
            try:
                st = p.lstat()
            except OSError:
                continue
            h.update(f"{p.relative_to(path)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def describe_source(src: str) -> dict:
    """What the source is and its identity: {'kind', 'path'|'url', 'commit'?, 'digest'}."""
    if is_git_url(src):
        url, commit = split_url(src)
        return {"kind": "git", "url": url, "commit": commit,
                "digest": hashlib.sha256(f"{url}@{commit}".encode()).hexdigest()}
    p = Path(src).expanduser()
    if not p.exists():
        raise SetupError(f"{src}: no such file or directory (give a GVSoC source tarball, directory or git URL)")
    p = p.resolve()
    if p.is_file():
        if not tarfile.is_tarfile(p):
            raise SetupError(f"{p}: not a tar archive (give a GVSoC source tarball, directory or git URL)")
        return {"kind": "tarball", "path": str(p), "digest": file_sha256(p)}
    if not (p / "Makefile").is_file() or not (p / "core").is_dir():
        raise SetupError(f"{p}: not a GVSoC source tree (no Makefile or core/ at its top; "
                         "were the submodules checked out?)")
    return {"kind": "directory", "path": str(p), "digest": dir_fingerprint(p)}


def build_key(source: dict, targets: tuple[str, ...]) -> str:
    h = hashlib.sha256(f"{source['digest']}\0{','.join(targets)}".encode())
    return h.hexdigest()[:16]


def run(cmd: list[str], *, cwd: Path | None = None, env: dict | None = None, logf=None) -> None:
    """Run a command, its output to the build log; a failure names the command and the log."""
    r = subprocess.run(cmd, cwd=cwd, env=env, stdout=logf, stderr=subprocess.STDOUT if logf else None)
    if r.returncode != 0:
        where = f"; see {logf.name}" if logf else ""
        raise SetupError(f"`{' '.join(cmd)}` failed with status {r.returncode}{where}")


def fetch_source(source: dict, dest: Path, logf) -> None:
    """Put the source tree at `dest` (a fresh folder)."""
    tmp = Path(tempfile.mkdtemp(prefix="src.", dir=dest.parent))
    try:
        if source["kind"] == "tarball":
            log(f"unpacking {source['path']}")
            with tarfile.open(source["path"]) as tf:
                tf.extractall(tmp, filter="tar") if hasattr(tarfile, "tar_filter") else tf.extractall(tmp)
            tops = [c for c in tmp.iterdir()]
            root = tops[0] if len(tops) == 1 and tops[0].is_dir() else tmp
        elif source["kind"] == "directory":
            log(f"copying {source['path']}")
            root = tmp / "gvsoc"
            shutil.copytree(source["path"], root, symlinks=True,
                            ignore=shutil.ignore_patterns("build", "install", "__pycache__"))
        else:
            log(f"cloning {source['url']} at {source['commit']} (with submodules)")
            root = tmp / "gvsoc"
            run(["git", "clone", "--quiet", source["url"], str(root)], logf=logf)
            run(["git", "checkout", "--quiet", source["commit"]], cwd=root, logf=logf)
            run(["git", "submodule", "update", "--init", "--recursive", "--quiet"], cwd=root, logf=logf)
        if not (root / "Makefile").is_file() or not (root / "core").is_dir():
            raise SetupError(f"{source.get('path') or source.get('url')}: not a GVSoC source tree "
                             "(no Makefile or core/ at its top)")
        root.rename(dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def make_venv(src: Path, venv: Path, logf) -> None:
    if not (venv / "bin" / "python").exists():
        log("creating a virtual environment for GVSoC's Python requirements")
        run([sys.executable, "-m", "venv", str(venv)], logf=logf)
    reqs = [str(src / r) for r in REQUIREMENTS if (src / r).is_file()]
    if not reqs:
        log("no Python requirements files in this source (nothing to install)")
        return
    log(f"installing GVSoC's Python requirements ({len(reqs)} files) with pip")
    args = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    for r in reqs:
        args += ["-r", r]
    run(args, logf=logf)


def build(src: Path, out: Path, venv: Path, targets: tuple[str, ...], jobs: int, logf) -> None:
    """GVSoC's own `make build`, only the optimized model variant, into out/install."""
    env = dict(os.environ)
    env["PATH"] = f"{venv / 'bin'}:{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    # The profile and debug variants triple the build time and `gvsoc ... run` never uses them: a
    # cmake wrapper adds the two options to the configure steps of GVSoC's Makefile (not to --build).
    cmake = out / "cmake-optimized-only"
    cmake.write_text('#!/bin/sh\n'
                     'if [ "$1" = "-S" ]; then exec cmake "$@" -DBUILD_PROFILE=OFF -DBUILD_DEBUG=OFF; fi\n'
                     'exec cmake "$@"\n')
    cmake.chmod(0o755)
    cmd = ["make", "build", f"TARGETS={' '.join(targets)}", f"CMAKE={cmake}", f"CMAKE_FLAGS=-j {jobs}",
           f"BUILDDIR={out / 'build'}", f"INSTALLDIR={out / 'install'}"]
    log(f"building targets {', '.join(targets)} with {jobs} jobs (log: {logf.name}); "
        "this takes 10-25 minutes on 2 cores")
    logf.write(f"$ {' '.join(cmd)}\n")
    logf.flush()
    proc = subprocess.Popen(cmd, cwd=src, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, errors="replace")
    assert proc.stdout is not None
    last, t0, shown = -1, time.monotonic(), time.monotonic()
    for line in proc.stdout:
        logf.write(line)
        m = re.match(r"^\[\s*(\d+)%\]", line)
        now = time.monotonic()
        if m and (int(m.group(1)) >= last + 5 or now - shown > 60):
            last, shown = int(m.group(1)), now
            log(f"build {last:3d}% ({now - t0:.0f} s)")
    rc = proc.wait()
    logf.flush()
    if rc != 0:
        raise SetupError(f"GVSoC's make failed with status {rc}; the end of {logf.name} says why")


def write_launcher(out: Path) -> Path:
    launcher = out / "gvsoc"
    tmp = out / "gvsoc.tmp"
    tmp.write_text(
        "#!/bin/sh\n"
        "# GVSoC launcher written by qlr's tools/setup: its own Python environment first on PATH.\n"
        f"PATH='{out / 'venv' / 'bin'}':\"$PATH\"\n"
        "export PATH\n"
        f"exec '{out / 'install' / 'bin' / 'gvsoc'}' \"$@\"\n")
    tmp.chmod(0o755)
    tmp.replace(launcher)
    return launcher


def check_launcher(launcher: Path, targets: tuple[str, ...]) -> None:
    """The launcher starts and knows the first target (a broken venv or install fails here)."""
    r = subprocess.run([str(launcher), f"--target={targets[0]}", "--help"], capture_output=True, text=True,
                       timeout=120)
    if r.returncode != 0:
        tail = (r.stderr or r.stdout).strip().splitlines()[-5:]
        raise SetupError(f"{launcher} does not start (status {r.returncode}): " + " | ".join(tail))


def point_current(root: Path, key: str) -> None:
    tmp = root / f".current.{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(key)
    tmp.replace(root / "current")


def install(src: str, targets: tuple[str, ...], jobs: int, keep_build: bool) -> Path:
    source = describe_source(src)
    key = build_key(source, targets)
    root = cache_root()
    out = root / key
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = out / "BUILT.json"
        if done.is_file() and (out / "gvsoc").is_file():
            point_current(root, key)
            log(f"already built from this source: {out / 'gvsoc'} (nothing to do)")
            return out / "gvsoc"
        t0 = time.monotonic()
        if out.exists():
            log(f"removing an unfinished build in {out}")
            shutil.rmtree(out)
        out.mkdir(parents=True)
        with open(out / "build.log", "w") as logf:
            fetch_source(source, out / "src", logf)
            make_venv(out / "src", out / "venv", logf)
            build(out / "src", out, out / "venv", targets, jobs, logf)
        launcher = write_launcher(out)
        check_launcher(launcher, targets)
        if not keep_build:
            shutil.rmtree(out / "build", ignore_errors=True)
        seconds = round(time.monotonic() - t0, 1)
        info = {"source": {k: v for k, v in source.items() if k != "digest"}, "source_sha256": source["digest"],
                "targets": list(targets), "launcher": str(launcher), "seconds": seconds,
                "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        (out / "BUILT.json.tmp").write_text(json.dumps(info, indent=2) + "\n")
        (out / "BUILT.json.tmp").replace(done)
        point_current(root, key)
        log(f"built in {seconds / 60:.1f} min: {launcher}")
        return launcher


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="tools/setup --gvsoc", description=__doc__.split("\n\n")[0])
    p.add_argument("source", help="GVSoC source: tarball, directory or git URL[@COMMIT]")
    p.add_argument("--targets", default=",".join(DEFAULT_TARGETS),
                   help="comma-separated GVSoC targets (default: %(default)s)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="parallel build jobs (default: all cores)")
    p.add_argument("--keep-build", action="store_true", help="keep the build tree (several GB) after installing")
    a = p.parse_args(argv)
    targets = tuple(t for t in (s.strip() for s in a.targets.split(",")) if t)
    if not targets or a.jobs < 1:
        p.error("--targets needs at least one target and --jobs at least 1")
    try:
        launcher = install(a.source, targets, a.jobs, a.keep_build)
    except SetupError as e:
        log(f"error: {e}")
        return 1
    print(launcher)
    return 0


if __name__ == "__main__":
    sys.exit(main())
