import subprocess
import sys


def test_cli_version_and_unknown_command():
    out = subprocess.run([sys.executable, "-m", "vssd", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "0.1.0"
    bad = subprocess.run([sys.executable, "-m", "vssd", "frobnicate"], capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown command" in bad.stderr


def test_validate_config_prints_key_paths(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[ami]\nport = "x"\nbogus = 1\n')
    out = subprocess.run([sys.executable, "-m", "vssd", "--validate-config", "--config", str(bad)],
                         capture_output=True, text=True)
    assert out.returncode == 1
    assert 'ami.port = "x"' in out.stdout and "ami.bogus = 1" in out.stdout
    run = subprocess.run([sys.executable, "-m", "vssd", "run", "--config", str(bad)], capture_output=True, text=True)
    assert run.returncode == 1 and "ami.bogus" in run.stderr
