#!/usr/bin/env python3
"""Splits of tricky and random strings by the GPT-2, Llama 3 and Qwen2 pre-tokenizer regexes, as HF
`tokenizers` (Oniguruma) computes them. Finch hand-writes these regexes as scanners; the Swift test
compares against Tests/FinchTokenizerTests/Fixtures/pretokenizer_splits.json. Needs: pip install tokenizers.
"""
import json
import os
import random

from tokenizers import Regex, pre_tokenizers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "FinchTokenizerTests", "Fixtures", "pretokenizer_splits.json")

PATTERNS = {
    "gpt2": r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+",
    "llama3": r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
    "qwen2": r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
}

FIXED = [
    "Hello world", "  two leading", "trailing  ", "a  b   c", "\n\n  \nabc", " \t\n x", "x\r\ny\r\n\r\nz",
    "I'M HE'S we'Ll they'RE you'VE it'D don'T", "'s 'S 'ſ 'sss ''s", "12345678 1.5e10 ١٢٣ ½ Ⅻ",
    "naïve café e\u0301 a\u0308", "日本語 中文 한국어", "emoji 🌍🚀👍🏽!!", "\u00a0nbsp\u3000ideographic\u2009thin",
    "tabs\t\tand\u000bvt\u000cff", "...!!!???", " ,abc .def", "$100.00 (approx.)\n", "a\u0085b\u2028c\u2029d",
    "    def f(x):\n        return x\n", "<|im_start|>user", "", " ", "\n", "''", "x'", "'",
]

POOL = list("aZé中 \t\n\r'sStTlLdDmMvVrReE0123456789.,!?-_()\u00a0\u3000\u2009\u0301🌍٣½") + ["\r\n"]


def main():
    rng = random.Random(1234)
    texts = FIXED + ["".join(rng.choice(POOL) for _ in range(rng.randint(1, 24))) for _ in range(400)]
    out = {"patterns": PATTERNS, "cases": []}
    for text in texts:
        entry = {"text": text}
        for name, pattern in PATTERNS.items():
            split = pre_tokenizers.Split(Regex(pattern), behavior="isolated")
            entry[name] = [piece for piece, _ in split.pre_tokenize_str(text)]
        out["cases"].append(entry)
    with open(OUT, "w") as f:
        json.dump(out, f, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {len(texts)} cases to {OUT}")


if __name__ == "__main__":
    main()
