"""A small, realistic program to profile for the screenshots in ``images/``.

It builds a word index from generated text, walks a recursive tree, solves a small
dynamic-programming problem and sorts records. ``--slow`` makes ``score_words`` do a
needlessly quadratic lookup, so that two runs can be compared. ``--pool`` also measures
distances in a ``multiprocessing.Pool`` of two workers (the parent waits for them), and
prints a line to standard error.
"""

import json
import multiprocessing
import random
import sys
from collections import Counter

SLOW = "--slow" in sys.argv
POOL = "--pool" in sys.argv
WORDS = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi "
         "omicron pi rho sigma tau upsilon phi chi psi omega").split()


def make_text(rng, lines):
    return ["  ".join(rng.choice(WORDS) for _ in range(12)) for _ in range(lines)]


def tokenize(line):
    return [word.strip(".,").lower() for word in line.split()]


def build_index(text):
    index = {}
    for number, line in enumerate(text):
        for word in tokenize(line):
            index.setdefault(word, []).append(number)
    return index


def score_words(index):
    known = list(index) if SLOW else set(index)
    scores = {}
    for word, lines in index.items():
        for other in WORDS * (150 if SLOW else 1):
            if other in known and other != word:
                scores[word] = scores.get(word, 0) + len(lines) % 7
    return scores


class Node:
    def __init__(self, value, children=()):
        self.value = value
        self.children = list(children)


def make_tree(rng, depth):
    if depth == 0:
        return Node(rng.random())
    return Node(rng.random(), [make_tree(rng, depth - 1) for _ in range(3)])


def tree_sum(node):
    return node.value + sum(tree_sum(child) for child in node.children)


def edit_distance(a, b):
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def closest_pairs(words):
    return sorted((edit_distance(a, b), a, b) for a in words for b in words if a < b)[:5]


def report(index, scores, total, pairs):
    records = [{"word": w, "lines": len(index[w]), "score": scores.get(w, 0)} for w in index]
    records.sort(key=lambda r: (-r["score"], r["word"]))
    return json.dumps({"top": records[:5], "tree": round(total, 3), "pairs": pairs})


def distances_from(word):
    return [edit_distance(word * 3, other * 3) for other in WORDS]


def pooled_distances():
    with multiprocessing.Pool(2) as pool:
        return pool.map(distances_from, WORDS * 16)


def main():
    rng = random.Random(7)
    text = make_text(rng, 3000)
    index = build_index(text)
    scores = score_words(index)
    total = tree_sum(make_tree(rng, 7))
    pairs = closest_pairs(WORDS)
    counts = Counter(word for line in text for word in tokenize(line))
    print("indexed", len(index), "words from", len(text), "lines")
    if POOL:
        print("measuring distances in 2 worker processes", file=sys.stderr)
        print("distances:", len(pooled_distances()))
    return report(index, scores, total, pairs), counts.most_common(3)


if __name__ == "__main__":
    main()
