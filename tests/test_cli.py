import subprocess
import sys


def test_cli_version_and_unknown_command():
    out = subprocess.run([sys.executable, "-m", "vssd", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "0.1.0"
    bad = subprocess.run([sys.executable, "-m", "vssd", "frobnicate"], capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown command" in bad.stderr
