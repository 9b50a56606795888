"""The slowest upload the caps allow: its time and peak memory through the Head atlas's path.

Run: `/usr/bin/time -v .venv/bin/python -m bench.upload_worst_case` (Maximum resident set
size is the peak). Prints JSON; asserts nothing. The corpus is made at the default caps
(headscope.policy): plain-text lines of `max_sentence_chars` characters of one-letter
words and punctuation, each as many tokens as the model reads (its limit), as
many lines as the cap on tokens allows. Long sentences are the slowest per token (the
attention arrays grow with the square of the length), and plain text adds the parse.
"""

from __future__ import annotations

import json
import random
import resource
import sys
import time

from headscope import atlas, corpus, models, syntax
from headscope.policy import Policy


def worst_corpus(policy: Policy, loaded: models.LoadedModel) -> bytes:
    """Lines at the character cap, each cut at the model's limit, up to the cap on tokens."""
    rng = random.Random(0)
    words = "a I , . o x".split()  # one token every two characters: a line reaches the model's limit
    lines: list[str] = []
    tokens = 0
    while len(lines) < policy.max_upload_sentences:
        line = ""
        while len(line) < policy.max_sentence_chars - 3:
            line += rng.choice(words) + " "
        line = line.strip()
        n = atlas.token_lengths(loaded, [line])[0]
        if tokens + n > policy.max_upload_tokens:
            break
        lines.append(line)
        tokens += n
    data = ("\n".join(lines) + "\n").encode()
    assert len(data) <= policy.max_upload_bytes
    return data


def main() -> None:
    policy = Policy.from_settings()
    loaded = models.load(None, policy)
    syntax.load_parser()
    data = worst_corpus(policy, loaded)
    start = time.perf_counter()
    parsed = corpus.read_upload(data, "worst.txt", policy=policy, count_tokens=atlas.token_counter(loaded))
    parse_s = time.perf_counter() - start
    result = atlas.compute(loaded, parsed)
    total_s = time.perf_counter() - start
    tokens = sum(atlas.token_lengths(loaded, [p.text for p in parsed.parses]))
    print(
        json.dumps(
            {
                "sentences": len(parsed.parses),
                "bytes": len(data),
                "tokens": tokens,
                "scored": result.sentences,
                "parse_s": round(parse_s, 1),
                "total_s": round(total_s, 1),
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                "load_average": open("/proc/loadavg").read().split()[:3],
                "python": sys.version.split()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
