#!/usr/bin/env python3
"""Reference token ids for the SmolLM2-135M-Instruct GGUF tokenizer, from Hugging Face `tokenizers`.

Independent of Finch's code: the HF tokenizer is assembled here directly from the GGUF's
vocabulary and merges with the pre-tokenizer SmolLM2 ships (Digits(individual) + GPT-2 ByteLevel),
so HF's own regex engine and BPE produce the expected ids. Writes
Tests/FinchTokenizerTests/Fixtures/smollm2_tokenizer.json.

Needs: pip install tokenizers gguf; the GGUF from scripts/fetch-testdata.sh.
"""
import json
import os

from gguf import GGUFReader
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GGUF = os.path.join(os.environ.get("FINCH_TESTDATA", os.path.join(ROOT, ".testdata")),
                    "smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
OUT = os.path.join(ROOT, "Tests", "FinchTokenizerTests", "Fixtures", "smollm2_tokenizer.json")

TEXTS = [
    "Hello world",
    "Hello, world! How are you doing today?",
    "I'm sure they'll say it's fine, we've DONE it, you'd agree?",
    "The year 2024 had 366 days; pi is 3.14159 and 1,000,000 is a million.",
    "   leading spaces and trailing   ",
    "tabs\tand\nnewlines\n\n\nand \r\n windows",
    "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n",
    "Héllo wörld, ça va? Ünïcödé façade naïve.",
    "日本語のテキストと中文文本，还有한국어.",
    "Emoji: 🌍🚀👍🏽 and symbols ™ © ∑ √ ∞",
    "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
    "<|endoftext|>not special<|im_end|>",
    "email@example.com https://huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct?x=1&y=2",
    "ALL CAPS SENTENCE WITH NUMBERS 42 AND 007",
    "",
    " ",
    "\n",
    "a" * 50 + " " + "ab" * 30,
]


def main():
    reader = GGUFReader(GGUF)

    def strings(key):
        field = reader.fields[key]
        return [bytes(field.parts[i]).decode("utf-8") for i in field.data]

    def ints(key):
        field = reader.fields[key]
        return [int(field.parts[i][0]) for i in field.data]

    tokens = strings("tokenizer.ggml.tokens")
    merges = [tuple(m.split(" ", 1)) for m in strings("tokenizer.ggml.merges")]
    types = ints("tokenizer.ggml.token_type")
    vocab = {t: i for i, t in enumerate(tokens)}

    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False)
                            for t, ty in zip(tokens, types) if ty == 3])

    cases = []
    for text in TEXTS:
        ids = tok.encode(text, add_special_tokens=False).ids
        cases.append({"text": text, "ids": ids,
                      "decoded": tok.decode(ids, skip_special_tokens=False),
                      "decoded_skip_special": tok.decode(ids, skip_special_tokens=True)})
    with open(OUT, "w") as f:
        json.dump({"gguf": "SmolLM2-135M-Instruct.Q4_1.gguf", "cases": cases}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
