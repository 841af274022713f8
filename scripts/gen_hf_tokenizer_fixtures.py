#!/usr/bin/env python3
"""Small tokenizer.json files serialized by HF `tokenizers` itself, one per pipeline Finch supports
(GPT-2, Llama 3, Qwen2, SmolLM2 byte-level BPE; Llama 2 legacy and Metaspace SentencePiece BPE with
byte fallback), trained on a tiny corpus, plus the ids HF produces for a set of texts.
Writes Tests/FinchTokenizerTests/Fixtures/hf_tokenizers/*.json and hf_tokenizer_cases.json.
Needs: pip install tokenizers.
"""
import json
import os

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "FinchTokenizerTests", "Fixtures")

GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
QWEN2 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"

CORPUS = [
    "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs away!",
    "Fine-tuning a language model on your own data: upload a JSONL file, create a job, watch the loss.",
    "I'm sure they'll say it's fine, we've done it before and you'd agree. Don't worry.",
    "In 2024 there were 366 days, and 3.14159 is close to pi. Call 555-0100 before 10:30.",
    "def train(model, data):\n    for step, batch in enumerate(data):\n        loss = model(batch)\n",
    "Héllo wörld, ça va? Naïve café façade. Ünïcödé text and emoji 🌍🚀 appear here.",
    "日本語の文章と中文文本，还有한국어 문장도 조금 있습니다.",
    "<|im_start|>user\nHello there<|im_end|>\n<|im_start|>assistant\nHi! How can I help?<|im_end|>",
] * 20

TEXTS = [
    "The quick brown fox", "I'M SURE they'LL say it's fine", "Numbers: 1234567 and 3.14159, 42!",
    "   spaces   around   ", "tabs\tand\nnewlines\r\n\n end", "def f(x):\n    return x * 2\n",
    "Héllo wörld ça va", "日本語の文章", "emoji 🌍🚀👍🏽 unseen ∑√∞", "<|im_start|>user\nHi<|im_end|>",
    "unseen characters: ÆØÅ ß ŁŻ Ωμ", "", " ", "\n\n",
]

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def byte_level(name, pre, extra_pre=None, normalizer=None, ignore_merges=False, bos=None):
    tok = Tokenizer(models.BPE(ignore_merges=ignore_merges) if ignore_merges else models.BPE())
    if normalizer:
        tok.normalizer = normalizer
    tok.pre_tokenizer = pre
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(CORPUS, trainer)
    if bos:
        tok.post_processor = processors.Sequence([
            processors.ByteLevel(trim_offsets=False),
            processors.TemplateProcessing(single=f"{bos} $A", pair=f"{bos} $A {bos} $B",
                                          special_tokens=[(bos, tok.token_to_id(bos))]),
        ])
    else:
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
    return tok


def sentencepiece(name, metaspace):
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    if metaspace:
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=False)
        tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="first", split=False)
    else:
        tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
        tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                         decoders.Strip(" ", 1, 0)])
    byte_tokens = [f"<0x{b:02X}>" for b in range(256)]
    trainer = trainers.BpeTrainer(vocab_size=700, special_tokens=["<unk>", "<s>", "</s>"] + byte_tokens,
                                  show_progress=False)
    if metaspace:
        tok.train_from_iterator(CORPUS, trainer)
    else:
        # The legacy form has no pre-tokenizer; train on ▁-words, then install the normalizer.
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
        tok.train_from_iterator(CORPUS, trainer)
        tok.pre_tokenizer = None
    # Byte tokens are ordinary vocabulary entries in SentencePiece models, not special added tokens.
    doc = json.loads(tok.to_str())
    doc["added_tokens"] = [t for t in doc["added_tokens"] if not t["content"].startswith("<0x")]
    tok = Tokenizer.from_str(json.dumps(doc))
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B",
                                                      special_tokens=[("<s>", tok.token_to_id("<s>"))])
    return tok


def main():
    tokenizers = {
        "gpt2": byte_level("gpt2", pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)),
        "llama3": byte_level("llama3", pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(LLAMA3), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)]),
            ignore_merges=True, bos="<|endoftext|>"),
        "qwen2": byte_level("qwen2", pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(QWEN2), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)]),
            normalizer=normalizers.NFC()),
        "smollm2": byte_level("smollm2", pre_tokenizers.Sequence([
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)])),
        "llama2-legacy": sentencepiece("llama2-legacy", metaspace=False),
        "llama2-metaspace": sentencepiece("llama2-metaspace", metaspace=True),
    }
    os.makedirs(os.path.join(OUT, "hf_tokenizers"), exist_ok=True)
    cases = []
    for name, tok in tokenizers.items():
        tok.save(os.path.join(OUT, "hf_tokenizers", name + ".json"))
        tok = Tokenizer.from_file(os.path.join(OUT, "hf_tokenizers", name + ".json"))
        for text in TEXTS:
            with_special = tok.encode(text, add_special_tokens=True).ids
            ids = tok.encode(text, add_special_tokens=False).ids
            cases.append({"tokenizer": name, "text": text, "ids": ids, "ids_with_special": with_special,
                          "decoded": tok.decode(ids, skip_special_tokens=False),
                          "decoded_skip_special": tok.decode(with_special, skip_special_tokens=True)})
    with open(os.path.join(OUT, "hf_tokenizer_cases.json"), "w") as f:
        json.dump({"cases": cases}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(tokenizers)} tokenizers and {len(cases)} cases")


if __name__ == "__main__":
    main()
