#!/usr/bin/env python3
"""prewarmd's command line (src/daemon/main.c, options.c): what each flag
prints and the exit status, config errors that name file:line:col, --check,
and start-up failures (bad --listen, a port already taken), without running
the service (that is e2e_daemon.py's job).

Usage: test_cli.py PREWARMD
Prints "N passed, M failed, K skipped" last; exits 1 on any failure.
"""
import os
import socket
import subprocess
import sys
import tempfile

from prewarmd_harness import Tally

PREWARMD = sys.argv[1]
GOOD = """\
listen: "127.0.0.1:0"
pools:
  - name: demo
    local: {command: [/bin/sleep, "60"], probe: {type: tcp}}
  - name: other
    local: {command: [/bin/sleep, "60"]}
"""


def run(*args, timeout=60):
    p = subprocess.run([PREWARMD, *args], capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def write(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def test_help_and_version():
    code, out, _ = run("--help")
    assert code == 0 and out.startswith("usage: prewarmd --config FILE"), out
    code, out, _ = run("--version")
    assert code == 0 and out.startswith("prewarmd ") and "libcurl" in out, out


def test_bad_options_exit_2():
    for args in (["--bogus"], [], ["--config"]):
        code, out, err = run(*args)
        assert code == 2 and err.startswith("prewarmd: "), (args, code, err)


def test_check_summarises_a_valid_config(tmp):
    path = write(tmp, "good.yaml", GOOD)
    code, out, err = run("--config", path, "--check")
    assert code == 0, err
    assert out == "%s: valid: listen 127.0.0.1:0, 2 pools: demo (local) other (local)\n" % path, out


def test_config_errors_name_file_line_and_field(tmp):
    path = write(tmp, "bad.yaml", "pools:\n  - name: p\n    min_idle: many\n")
    code, _, err = run("--config", path, "--check")
    assert code == 1 and err.startswith("prewarmd: %s:3:15: pools[0].min_idle: " % path), err
    code, _, err = run("--config", os.path.join(tmp, "missing.yaml"))
    assert code == 1 and "missing.yaml" in err, err


def test_start_failures_are_reported(tmp):
    path = write(tmp, "good.yaml", GOOD)
    code, _, err = run("--config", path, "--listen", "nonsense")
    assert code == 1 and "--listen nonsense: must be HOST:PORT" in err, err
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    busy = "127.0.0.1:%d" % taken.getsockname()[1]
    try:
        code, out, err = run("--config", path, "--listen", busy)
    finally:
        taken.close()
    assert code == 1 and "listen on %s: Address already in use" % busy in err, (code, err)
    assert "listening" not in out, out


def main():
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="prewarm-cli-") as tmp:
        for test in (test_help_and_version, test_bad_options_exit_2,
                     test_check_summarises_a_valid_config,
                     test_config_errors_name_file_line_and_field,
                     test_start_failures_are_reported):
            tally.run(test, *([tmp] if test.__code__.co_argcount else []))
    return tally.summary()


if __name__ == "__main__":
    sys.exit(main())
