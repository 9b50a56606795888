"""Syntax heads: the head atlas over the bundled corpus, and one new sentence, server side."""

from __future__ import annotations

import json
import statistics
import time

from headscope import arcs, atlas, attention, canvas, corpus, panels, roles, syntax


def run(loaded, repeat: int = 3) -> dict:
    """Atlas throughput (parse and score apart) and per-sentence latency, medians."""
    syntax.load_parser()
    text = corpus.SIMPLE_CORPUS.read_text(encoding="utf-8")
    parse_s, score_s = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        parsed = corpus.read_txt(text, "bundled corpus")
        parse_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        atlas.compute(loaded, parsed)
        score_s.append(time.perf_counter() - start)
    n = len(parsed.parses)
    total = statistics.median(p + s for p, s in zip(parse_s, score_s))

    # new sentences (never seen before in this process's caches): parse + forward + scores
    sentences = [p.text for p in parsed.parses[:60]]
    engine_ms, with_figures_ms = [], []
    for sentence in sentences:
        start = time.perf_counter()
        scores = syntax.score_sentence(attention.run(loaded, sentence), syntax.parse(sentence))
        roles.positional_heads(attention.run(loaded, sentence))
        engine_ms.append(1000 * (time.perf_counter() - start))
        start = time.perf_counter()
        p = scores.words.parse
        rs = scores.relations["all"]
        json.dumps(arcs.diagram(p.words, p.arcs(), "nsubj"))
        if rs.heads:
            words_att = scores.words.as_attention(loaded.name)
            json.dumps(canvas.attention_grid(words_att, [(h.layer, h.head) for h in rs.heads[:4]], panels.LAYER_STYLE))
        with_figures_ms.append(engine_ms[-1] + 1000 * (time.perf_counter() - start))
    return {
        "atlas_sentences": n,
        "atlas_parse_s": round(statistics.median(parse_s), 2),
        "atlas_score_s": round(statistics.median(score_s), 2),
        "atlas_total_s": round(total, 2),
        "atlas_sentences_per_s": round(n / total, 1),
        "atlas_scoring_sentences_per_s": round(n / statistics.median(score_s), 1),
        "new_sentence_parse_forward_score_ms_median": round(statistics.median(engine_ms), 1),
        "new_sentence_with_figures_ms_median": round(statistics.median(with_figures_ms), 1),
        "new_sentences_measured": len(sentences),
        **gold_cold(loaded, repeat),
    }


def gold_cold(loaded, repeat: int = 3) -> dict:
    """A fresh server's first answer: the shipped gold atlas read from data/atlas/, then nsubj's verdict
    (what the Heads page needs), then every relation's (what Model overview needs), medians."""
    from headscope import verdict

    load_s, nsubj_s, every_s = [], [], []
    for _ in range(repeat):
        verdict.corpus_resamples.cache_clear()
        start = time.perf_counter()
        a = atlas.shipped(loaded)
        load_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        _ = a.relations["nsubj"].verdict  # computed on first use
        nsubj_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        a.syntactic_relations()
        every_s.append(time.perf_counter() - start)
    return {
        "gold_atlas_load_s": round(statistics.median(load_s), 3),
        "gold_nsubj_verdict_s": round(statistics.median(nsubj_s), 3),
        "gold_every_verdict_s": round(statistics.median(every_s), 3),
    }
