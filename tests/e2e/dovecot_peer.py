"""A throwaway Dovecot (Debian's dovecot-core with -pop3d and -imapd) for
interop tests: its own configuration, state and logs in a temp folder, POP3
and IMAP listeners on free loopback ports, every password accepted
(passdb static nopassword: the test is about mailboxes, not logins), the
mail of user@domain in the Maildir tern delivers to (base/domain/user).
Stopped by its own `dovecot stop`; never the system's Dovecot."""

import os
import shutil
import subprocess

from conftest import free_port, wait_until


def have_dovecot():
    return shutil.which("dovecot") is not None and os.path.exists("/usr/lib/dovecot/pop3") \
        and os.path.exists("/usr/lib/dovecot/imap")


class Dovecot:
    def __init__(self, base, maildir_base, extra_conf=""):
        self.dir = os.path.join(base, "dovecot")
        os.makedirs(os.path.join(self.dir, "run"), exist_ok=True)
        self.maildir_base = maildir_base
        self.pop3_port = free_port()
        self.imap_port = free_port()
        # Dovecot refuses to run mail as root: as root it reads as nobody.
        root = os.geteuid() == 0
        self.uid, self.gid = (65534, 65534) if root else (os.getuid(), os.getgid())
        self.conf = os.path.join(self.dir, "dovecot.conf")
        with open(self.conf, "w") as f:
            f.write(f"""base_dir = {self.dir}/run
log_path = {self.dir}/dovecot.log
ssl = no
protocols = pop3 imap
listen = 127.0.0.1
disable_plaintext_auth = no
first_valid_uid = 1
mail_location = maildir:{maildir_base}/%d/%n
userdb {{
  driver = static
  args = uid={self.uid} gid={self.gid} home={self.dir}/home/%d/%n
}}
passdb {{
  driver = static
  args = nopassword
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {self.pop3_port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
""")
            if root:
                f.write("default_internal_user = dovecot\ndefault_login_user = dovenull\n")
            f.write(extra_conf)

    def hand_over(self):
        """Lets Dovecot's mail user read and write what tern wrote."""
        if os.geteuid() == 0:
            os.chmod(os.path.dirname(self.dir), 0o711)
            subprocess.run(["chown", "-R", f"{self.uid}:{self.gid}", self.maildir_base], check=True)

    def start(self):
        subprocess.run(["dovecot", "-c", self.conf], check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: os.path.exists(os.path.join(self.dir, "run", "login")), what="Dovecot to start")
        return self

    def stop(self):
        subprocess.run(["dovecot", "-c", self.conf, "stop"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def log(self):
        try:
            with open(os.path.join(self.dir, "dovecot.log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""
