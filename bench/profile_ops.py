#!/usr/bin/env python3
"""Sums a Chrome trace of torch's legacy profiler (RECSYS_BENCH_PROFILE=FILE recsys-bench-train)
by operator: self time (the op's span minus the spans of ops nested in it on the same
thread), calls, share of the total. Usage: bench/profile_ops.py TRACE.json [top-N]"""
import collections
import json
import sys

events = [e for e in json.load(open(sys.argv[1])) if e.get("ph") == "X"]
top = int(sys.argv[2]) if len(sys.argv) > 2 else 30
by_thread = collections.defaultdict(list)
for e in events:
    by_thread[e.get("tid")].append(e)
self_time = collections.Counter()
calls = collections.Counter()
for thread_events in by_thread.values():
    thread_events.sort(key=lambda e: (e["ts"], -e["dur"]))
    stack = []  # open spans: [end, name, child time]
    def close(until):
        while stack and stack[-1][0] <= until:
            end, name, children, dur = stack.pop()
            self_time[name] += dur - children
            if stack:
                stack[-1][2] += dur
    for e in thread_events:
        close(e["ts"])
        stack.append([e["ts"] + e["dur"], e["name"], 0.0, e["dur"]])
        calls[e["name"]] += 1
    close(float("inf"))
total = sum(self_time.values())
print(f"{'operator':<48} {'self ms':>10} {'share':>7} {'calls':>8}")
for name, t in self_time.most_common(top):
    print(f"{name[:48]:<48} {t / 1000:10.1f} {100 * t / total:6.1f}% {calls[name]:8d}")
print(f"{'total':<48} {total / 1000:10.1f}")
