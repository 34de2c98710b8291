"""test_admin_secrets.py: encrypted passwords end to end: ferryctl keygen
writes a 0400 key (never overwriting one), ferryctl encrypt makes values
that ferryd accepts for the monitor's and the service's password (clients
log in through it), and a wrong key is a clear startup error naming the
file, line and parameter without the password."""

import os
import stat
import subprocess

import helpers
from admin_helpers import ferryctl


def keygen(path, check=0):
    return ferryctl(None, "keygen", str(path), check=check)


def encrypt(key, password):
    return ferryctl(None, "-k", str(key), "encrypt", password, check=0).stdout.strip()


def test_keygen(tmp_path):
    key = tmp_path / "ferry.key"
    assert "wrote a new key" in keygen(key).stdout
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o400
    assert len(key.read_text().strip()) == 64
    p = keygen(key, check=1)
    assert "File exists" in p.stderr
    enc = encrypt(key, "maxmon_pw")
    assert enc.startswith("enc:v1:") and "maxmon_pw" not in enc
    assert encrypt(key, "maxmon_pw") != enc
    from_stdin = ferryctl(None, "-k", str(key), "encrypt", "-", input="maxmon_pw\n", check=0)
    assert from_stdin.stdout.startswith("enc:v1:")


def secret_config(f, key):
    text = open(f.conf).read()
    for user, pw in (("maxmon", "maxmon_pw"), ("maxscale", "maxscale_pw")):
        text = text.replace(f'password = "{pw}"', f'password = "{encrypt(key, pw)}"')
    assert "maxmon_pw" not in text and "maxscale_pw" not in text
    return text.replace("ferry = {", f'ferry = {{ secrets_file = "{key}";', 1)


def test_encrypted_passwords_work(ferry_factory, tmp_path):
    key = tmp_path / "ferry.key"
    keygen(key)
    f = ferry_factory(start=False)
    text = secret_config(f, key)
    with open(f.conf, "w") as fh:
        fh.write(text)
    f.start()
    assert helpers.query(f.port(), "SELECT 1") == ((1,),)
    assert "maxmon_pw" not in f.log_text() and "maxscale_pw" not in f.log_text()


def test_wrong_key_is_a_startup_error(ferry_factory, tmp_path):
    key, other = tmp_path / "ferry.key", tmp_path / "other.key"
    keygen(key)
    keygen(other)
    f = ferry_factory(start=False)
    text = secret_config(f, key).replace(str(key), str(other))
    with open(f.conf, "w") as fh:
        fh.write(text)
    f.stopped = True
    p = subprocess.run([helpers.FERRYD, "--check", "-c", f.conf], capture_output=True, text=True)
    assert p.returncode == 2
    assert f"{f.conf}:" in p.stderr and "parameter 'password': cannot decrypt" in p.stderr
    assert "wrong key file" in p.stderr and str(other) in p.stderr
    p = subprocess.run([helpers.FERRYD, "-c", f.conf], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 2 and "cannot decrypt" in p.stderr
