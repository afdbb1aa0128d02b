"""``python -m apps.wordcount [PATH...] [--mappers N] [--reducers R] [--via processes|nats]``

Counts the words of the files under PATH (default: the Python standard library's source
and documentation) by MapReduce (apps/wordcount/mapreduce.py), checks the answer against
a plain ``collections.Counter`` and prints the most common words.  ``--lines N`` runs the
small in-process demo of the core instead (``python -m apps.wordcount.demo``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m apps.wordcount",
        description="Word count by MapReduce: a splitter, map workers in processes (a "
                    "WorkerPool) or as NATS queue-group services, a shuffle by hash of the "
                    "word to R reducers, the reducers and a merge; the result is checked "
                    "against collections.Counter.")
    ap.add_argument("paths", nargs="*", metavar="PATH",
                    help="files or folders (folders: their .py, .rst and .txt files); "
                         "default: the Python standard library")
    ap.add_argument("--mappers", type=int, default=os.cpu_count() or 2,
                    help="map workers (default: the CPUs)")
    ap.add_argument("--reducers", type=int, default=2, help="reducers (default 2)")
    ap.add_argument("--via", choices=["processes", "nats"], default="processes",
                    help="map workers in child processes, or as NATS services")
    ap.add_argument("--nats", metavar="URL",
                    help="--via nats: use this server and the map services in its queue "
                         "group wc.mappers (default: start a server and --workers services)")
    ap.add_argument("--workers", type=int,
                    help="--via nats: map services to start here (default --mappers; 0 with "
                         "--nats: only those started elsewhere with 'axon serve "
                         "apps.wordcount.mapreduce:map_service --subject wc.map --queue "
                         "wc.mappers --nats URL')")
    ap.add_argument("--reduce-in", choices=["here", "processes"], default="here",
                    help="reducers in this process, or each in a child process")
    ap.add_argument("--shard-kb", type=int, default=512, help="text per map task (KB)")
    ap.add_argument("--kill-mapper-after", type=int, metavar="K",
                    help="--via processes: kill a map worker with SIGKILL after K shards are "
                         "mapped (its shard is redone; the answer stays exact)")
    ap.add_argument("--top", type=int, default=10, help="most common words to print")
    ap.add_argument("--no-check", action="store_true",
                    help="do not count again with collections.Counter to compare")
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--lines", type=int, help=argparse.SUPPRESS)  # (the old demo's option)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.lines is not None:  # the in-process demo of the core, as this command was
        from .demo import main as demo

        return demo(["--lines", str(args.lines)])
    from .corpus import default_corpus, files_of, reference
    from .mapreduce import count_words

    roots = args.paths or default_corpus()
    try:
        files = files_of(roots)
    except FileNotFoundError as exc:
        print(f"wordcount: {exc}", file=sys.stderr)
        return 2
    if not files:
        print(f"wordcount: no .py, .rst or .txt files under {', '.join(map(str, roots))}",
              file=sys.stderr)
        return 2
    if args.kill_mapper_after is not None and args.via != "processes":
        print("wordcount: --kill-mapper-after is for --via processes", file=sys.stderr)
        return 2
    size = sum(os.path.getsize(f) for f in files)
    print(f"word count of {len(files)} files ({size / 1e6:.1f} MB) under "
          f"{', '.join(map(str, roots))}: {args.mappers} mappers ({args.via}), "
          f"{args.reducers} reducers")
    t0 = time.perf_counter()
    result = count_words(files, args.mappers, args.reducers, args.via, nats=args.nats,
                         workers=args.workers, reduce_in=args.reduce_in,
                         shard_bytes=args.shard_kb * 1024,
                         kill_mapper_after=args.kill_mapper_after, timeout=args.timeout)
    total = time.perf_counter() - t0
    print(f"  {result.words:,} words, {len(result.counts):,} distinct, in {result.shards} "
          f"shards: {result.seconds:.2f} s mapping to merged ({total:.2f} s with start-up)")
    print(f"  shards per map worker: {result.per_mapper}; distinct words per reducer: "
          f"{result.reducer_sizes}")
    if result.killed is not None or result.redone or result.restarts:
        killed = f"killed map worker {result.killed}, " if result.killed else ""
        print(f"  faults: {killed}"
              f"{result.redone} shard(s) redone, {result.restarts} worker(s) restarted, "
              f"{result.duplicates} duplicate output(s) dropped")
    print("  most common: " + ", ".join(f"{w}={n:,}" for w, n in
                                        result.counts.most_common(args.top)))
    if args.no_check:
        return 0
    t1 = time.perf_counter()
    expected = reference(files)
    single = time.perf_counter() - t1
    same = result.counts == expected
    print(f"  collections.Counter in one process: {single:.2f} s; the answers are "
          + ("the same, word for word" if same else "DIFFERENT"))
    if not same:
        diff = (expected - result.counts) + (result.counts - expected)
        print(f"  differing words: {list(diff)[:10]}", file=sys.stderr)
    return 0 if same else 1
