#!/usr/bin/env python3
"""Builds the fuzzer's seed corpus: scenarios/*.cfg as they are, plus every
scenario text written as C string literals in tests/*.c.

Adjacent string literals are joined as the C compiler joins them. In
tests/test_scenario.c, variant("from", "to") is applied to the `base` text
the way the test does, and a "%s" at the start of an snprintf format stands
for that base. Texts without a '=' are not scenarios and are skipped.

Usage: fuzz/extract_corpus.py [SOURCE_DIR [OUT_DIR]]
(defaults: the repository root, fuzz/corpus). Output names are stable:
<source>-<nnn>.cfg, so re-running gives the same files.
"""
import glob
import os
import re
import sys

ESC = {'n': '\n', 't': '\t', 'r': '\r', '\\': '\\', '"': '"', "'": "'", '0': '\0'}


def literal_groups(src):
    """Yields (start, end, text) for each run of adjacent string literals."""
    i, n = 0, len(src)
    group, start = None, 0
    while i < n:
        c = src[i]
        if src.startswith('/*', i):
            j = src.find('*/', i + 2)
            i = n if j < 0 else j + 2
            continue
        if src.startswith('//', i):
            j = src.find('\n', i)
            i = n if j < 0 else j
            continue
        if c == "'":  # character literal
            j = i + 1
            while j < n and src[j] != "'":
                j += 2 if src[j] == '\\' else 1
            i = j + 1
            continue
        if c == '"':
            j, out = i + 1, []
            while j < n and src[j] != '"':
                if src[j] == '\\':
                    out.append(ESC.get(src[j + 1], src[j + 1]))
                    j += 2
                else:
                    out.append(src[j])
                    j += 1
            if group is None:
                group, start = [], i
            group.append(''.join(out))
            i = j + 1
            continue
        if not c.isspace() and group is not None:
            yield start, i, ''.join(group)
            group = None
        i += 1
    if group is not None:
        yield start, n, ''.join(group)


def scenario_texts(path):
    src = open(path, encoding='utf-8').read()
    groups = list(literal_groups(src))
    base = None
    m = re.search(r'static const char base\[\]\s*=', src)
    if m:
        base = next(t for s, _, t in groups if s > m.end())
    texts, skip = [], set()
    for k, (s, _, t) in enumerate(groups):
        if k in skip:
            continue
        before = src[max(0, s - 40):s]
        if base is not None and re.search(r'variant\(\s*$', before) and k + 1 < len(groups):
            to = groups[k + 1][2]
            if t in base:
                texts.append(base.replace(t, to, 1))
            skip.add(k + 1)
            continue
        if base is not None and t.startswith('%s'):
            t = base + t[2:]
        if '=' in t and ';' in t and '%' not in t:
            texts.append(t)
    return texts


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..')
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, 'fuzz', 'corpus')
    os.makedirs(out, exist_ok=True)
    seen = set()
    count = 0

    def emit(name, text):
        nonlocal count
        if text in seen:
            return
        seen.add(text)
        with open(os.path.join(out, name), 'w', encoding='utf-8') as f:
            f.write(text)
        count += 1

    for p in sorted(glob.glob(os.path.join(root, 'scenarios', '*.cfg'))):
        emit(os.path.basename(p), open(p, encoding='utf-8').read())
    for p in sorted(glob.glob(os.path.join(root, 'tests', 'test_*.c'))):
        stem = os.path.basename(p)[len('test_'):-2]
        for k, t in enumerate(scenario_texts(p)):
            emit('%s-%03d.cfg' % (stem, k), t)
    print('%d seed inputs in %s' % (count, out))


if __name__ == '__main__':
    main()
