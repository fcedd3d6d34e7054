#!/usr/bin/env python3
"""Writes fuzz/corpus/pool/: event programs for fuzz_pool that reach deep
states (pools filled, pods Ready, sessions bound and released, waiters
queued and answered, TTLs and timeouts crossed, configs changed), so the
fuzzer mutates from there instead of from a few random bytes.

Each program is steps in tests/pool/pool_driver.h's byte language: one
byte picks the step (its value mod 16), the next bytes are its arguments.
Deterministic: re-running writes the same files.
"""
import os
import random

CLAIM, RENEW, RELEASE, NEW_POD, READY, STARTING, GONE, CLOCK, DRAIN, CANCEL, RECONF, FAIL = \
    0, 3, 4, 5, 7, 9, 10, 11, 12, 13, 14, 15


def claim(r, pool, ttl=None, wait=None):
    b = r.randrange(0, 0x40) | (0x40 if ttl is not None else 0) | (0x80 if wait is not None else 0)
    out = [CLAIM, pool, b]
    if ttl is not None:
        out.append(ttl)
    if wait is not None:
        out.append(wait)
    return out


def program(r, steps, mix):
    out = []
    kinds = list(mix)
    weights = [mix[k] for k in kinds]
    for _ in range(steps):
        k = r.choices(kinds, weights)[0]
        pool = r.randrange(2)
        if k == "fill":  # a pod is created and becomes Ready
            out += [NEW_POD, pool, READY, r.randrange(256)]
        elif k == "claim":
            out += claim(r, pool, ttl=r.choice([None, r.randrange(80)]),
                         wait=r.choice([None, None, r.randrange(20)]))
        elif k == "release":
            out += [RELEASE, r.randrange(256)]
        elif k == "renew":
            out += [RENEW, r.randrange(256)]
        elif k == "clock":
            out += [CLOCK, r.choice([1, 4, 20, 120, 255])]
        elif k == "gone":
            out += [GONE, r.randrange(256)]
        elif k == "starting":
            out += [STARTING, r.randrange(256)]
        elif k == "drain":
            out += [DRAIN]
        elif k == "cancel":
            out += [CANCEL, r.randrange(256)]
        elif k == "reconf":
            out += [RECONF, 1, pool, r.randrange(256)]
        elif k == "adopt":
            out += [RECONF, 0, pool]
        elif k == "fail":
            out += [FAIL, pool, r.randrange(4)]
    return bytes(out)


MIXES = {
    "steady": {"fill": 4, "claim": 4, "release": 3, "renew": 1, "clock": 1, "drain": 2},
    "burst-waiters": {"claim": 8, "fill": 2, "cancel": 1, "clock": 2, "drain": 2},
    "churn": {"fill": 3, "gone": 2, "starting": 1, "fail": 1, "claim": 3, "release": 2, "drain": 2},
    "ttl-expiry": {"fill": 2, "claim": 3, "clock": 4, "renew": 2, "drain": 1},
    "reconfigure": {"reconf": 2, "adopt": 1, "fill": 3, "claim": 3, "release": 2, "drain": 2},
    "everything": {k: 1 for k in ("fill", "claim", "release", "renew", "clock", "gone", "starting",
                                  "drain", "cancel", "reconf", "adopt", "fail")},
}


def main():
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "pool")
    os.makedirs(folder, exist_ok=True)
    for i, (name, mix) in enumerate(sorted(MIXES.items())):
        r = random.Random(1000 + i)
        with open(os.path.join(folder, name), "wb") as f:
            f.write(program(r, 300, mix))


if __name__ == "__main__":
    main()
