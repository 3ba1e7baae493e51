#!/usr/bin/env python3
"""RATIO lines and target checks from bench/http/compare.sh logs.

usage: summarize.py RESULTS.txt [MORE.txt ...]

Ratios are ours/peer, means over every round in every log given: for rps higher is better; for
latency and server CPU microseconds per request lower is better. The targets are issue 15's
(CPU per request against the peer, p99 of token requests and of JWKS/discovery under token load,
RSS after 100k tokens) and issue 14's (RSS after 10k refused requests with 60 KB fields).
"""
import collections
import re
import sys

results = collections.defaultdict(list)
memory = {}
errors = []
for line in (line for path in sys.argv[1:] for line in open(path, encoding="utf-8")):
    fields = dict(re.findall(r"(\w+)=(\S+)", line))
    if line.startswith("RESULT "):
        scenario, target = fields["label"].split("/")
        number = lambda key: float(fields.get(key, "nan").rstrip("us") or "nan")
        results[(scenario, target, int(fields["c"]))].append(
            {"rps": number("rps"), "p50": number("p50"), "p99": number("p99"),
             "cpu": number("cpu_us_per_req"), "load": fields.get("load", "?")})
        if fields.get("bad", "0") != "0" or "Non-2xx" in line or "Socket" in line:
            errors.append(line.strip())
    elif line.startswith("MEM "):
        memory[fields["label"]] = (int(fields["rss_idle_kb"]), int(fields["rss_after_kb"]), fields.get("bad", "0"))
        if fields.get("bad", "0") != "0":
            errors.append(line.strip())

mean = lambda rows, key: sum(row[key] for row in rows) / len(rows)
ratios = {}
print("\n== RATIOS (ours/peer, mean over rounds)")
for (scenario, target, conns), rows in sorted(results.items()):
    peer = results.get((scenario, "peer", conns))
    if target == "peer" or not peer:
        continue
    cpu = mean(rows, "cpu") / mean(peer, "cpu")
    ratios[(scenario, target, conns)] = (cpu, rows, peer)
    print(f"RATIO {scenario} {target}/peer c={conns}"
          f" | cpu_us/req {mean(rows, 'cpu'):.0f}/{mean(peer, 'cpu'):.0f} = {cpu:.2f}"
          f" | rps {mean(rows, 'rps'):.0f}/{mean(peer, 'rps'):.0f} = {mean(rows, 'rps') / mean(peer, 'rps'):.2f}"
          f" | p50 {mean(rows, 'p50') / 1000:.2f}/{mean(peer, 'p50') / 1000:.2f} ms"
          f" | p99 {mean(rows, 'p99') / 1000:.2f}/{mean(peer, 'p99') / 1000:.2f} ms"
          f" | load {','.join(row['load'] for row in rows + peer)}")
for label, (idle, after, _) in sorted(memory.items()):
    print(f"MEMORY {label}: {idle / 1024:.1f} MB idle, {after / 1024:.1f} MB after")

print("\n== TARGETS")
def target(name, value, limit, unit=""):
    if value is None:
        print(f"SKIP {name}: not measured")
    else:
        print(f"{'PASS' if value <= limit else 'FAIL'} {name}: {value:.2f}{unit} (limit {limit}{unit})")

def cpu_ratio(scenario, conns=16):
    found = ratios.get((scenario, "ours", conns))
    return found[0] if found else None

target("CPU per RS256 token, ours/peer (c=16)", cpu_ratio("token-RS256"), 0.55)
for alg in ("ES256", "EdDSA"):
    target(f"CPU per {alg} token, ours/peer (c=16)", cpu_ratio(f"token-{alg}"), 0.15)
target("CPU per JWKS, ours/peer (c=16)", cpu_ratio("GET-jwks"), 0.15)
target("CPU per discovery, ours/peer (c=16)", cpu_ratio("GET-discovery"), 0.15)
target("CPU per introspection, ours/peer (c=16)", cpu_ratio("introspect"), 0.25)
token = ratios.get(("token-RS256", "ours", 16))
if token:
    ours_p99, peer_p99 = mean(token[1], "p99") / 1000, mean(token[2], "p99") / 1000
    target("RS256 token p99 at c=16, ours/peer", ours_p99 / peer_p99, 1.0)
    target("RS256 token p99 at c=16 (ms, needs an idle machine)", ours_p99, 10.0, " ms")
for scenario in ("loaded-jwks", "loaded-discovery"):
    found = results.get((scenario, "ours", 2))
    target(f"{scenario} p99 under RS256 load at c=16", mean(found, "p99") / 1000 if found else None, 5.0, " ms")
target("RSS after 100k tokens", memory["ours"][1] / 1024 if "ours" in memory else None, 40.0, " MB")
target("RSS after 10k refused 60 KB requests", memory["refused-ours"][1] / 1024 if "refused-ours" in memory else None, 100.0, " MB")
if errors:
    print("\n== ERRORS (a run with a bad answer does not count)")
    for line in errors:
        print(line)
