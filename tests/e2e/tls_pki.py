"""Throwaway certificates for TLS tests, made with the openssl command: a
test CA, and server certificates (RSA or ECDSA) signed by it for the names
a test asks for. Python's ssl module verifies against ca.pem."""

import os
import subprocess


def _run(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


class Pki:
    def __init__(self, base):
        self.dir = os.path.join(base, "pki")
        os.makedirs(self.dir, exist_ok=True)
        self.ca = os.path.join(self.dir, "ca.pem")
        self.ca_key = os.path.join(self.dir, "ca.key")
        _run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", self.ca_key, "-out", self.ca, "-days", "2", "-subj", "/CN=tern test CA", cwd=self.dir)

    def issue(self, name, names=("mx.test.example", "localhost"), kind="ec"):
        """Returns (cert_path, key_path) for a leaf certificate of `names`."""
        key = os.path.join(self.dir, f"{name}.key")
        csr = os.path.join(self.dir, f"{name}.csr")
        cert = os.path.join(self.dir, f"{name}.pem")
        ext = os.path.join(self.dir, f"{name}.ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=" + ",".join(f"DNS:{n}" for n in names) + ",IP:127.0.0.1\n")
        newkey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] if kind == "ec" \
            else ["-newkey", "rsa:2048"]
        _run("req", *newkey, "-nodes", "-keyout", key, "-out", csr, "-subj", f"/CN={names[0]}", cwd=self.dir)
        _run("x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", self.ca_key, "-CAcreateserial",
             "-out", cert, "-days", "2", "-extfile", ext, cwd=self.dir)
        os.chmod(key, 0o600)
        return cert, key

    def fingerprint(self, cert):
        out = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", cert],
                             check=True, capture_output=True, text=True).stdout
        return out.strip().split("=", 1)[1].replace(":", "").lower()
