"""Word count by MapReduce, across processes and machines, and a lambda-style live count.

- ``python -m apps.wordcount [PATH...]``: split, map (a WorkerPool, or NATS services),
  shuffle by hash to R reducers, reduce, merge; equal to ``collections.Counter`` exactly
  (apps/wordcount/mapreduce.py).
- ``python -m apps.wordcount.live``: a stream layer counting words arriving over NATS, a
  batch layer recounting the retained JetStream log by MapReduce, and queries merging
  both views (apps/wordcount/live.py).
- ``python -m apps.wordcount.demo``: the small in-process demo of the core.
"""

from .corpus import Shard, files_of, reference, words
from .mapreduce import MapReduceResult, count_words

__all__ = ["MapReduceResult", "Shard", "count_words", "files_of", "reference", "words"]
