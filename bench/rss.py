"""A process's resident memory, read from /proc: now, and its peak while a block runs."""
import threading, time


def rss_mib(pid):
    """VmRSS of `pid` in MiB (0 if the process is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


class PeakRss:
    """`with PeakRss(pid, every) as rss:` samples every `every` seconds; `rss.peak` is the
    largest reading, the one at entry included."""

    def __init__(self, pid, every):
        self.pid, self.every = pid, every
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mib(self.pid))
            time.sleep(self.every)

    def __enter__(self):
        self.peak = rss_mib(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join()
