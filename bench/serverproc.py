"""What bench/load.py and bench/soak.py share about the server processes
they start: free ports, the cargo target directory, waiting for a server
to listen, and reading its memory and CPU time from /proc."""

import os
import socket
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = "127.0.0.1"


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def target_dir():
    if os.environ.get("CARGO_TARGET_DIR"):
        return os.path.abspath(os.environ["CARGO_TARGET_DIR"])
    return os.path.join(ROOT, "target")


class Process:
    """A started server process (`self.proc`, a Popen; `self.pid`, its pid,
    which taskset keeps since it execs the binary)."""

    def wait_listening(self, port, exited):
        """Returns once `port` accepts connections; exits the script with
        `exited()` if the process ended first, or after 20 s."""
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection((HOST, port), 0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise SystemExit(exited())
                time.sleep(0.1)
        raise SystemExit(f"the server did not start on port {port}")

    def status(self, field):
        """A field of /proc/PID/status in KiB (VmRSS, VmHWM)."""
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise KeyError(field)

    def cpu_times(self):
        """(user, system) CPU time of the whole process so far, in seconds."""
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # utime and stime are fields 14 and 15 of stat(5); 3 is fields[0].
        tick = os.sysconf("SC_CLK_TCK")
        return int(fields[11]) / tick, int(fields[12]) / tick

    def cpu_seconds(self):
        """User + system CPU time of the whole process so far."""
        return sum(self.cpu_times())
