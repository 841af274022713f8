#!/usr/bin/env python3
"""Builds tiny random models with transformers and dumps reference outputs for the Swift tests.

Run by hand (needs torch, transformers, safetensors, tokenizers), e.g.:
    python3 -m venv /work/venv-torch && /work/venv-torch/bin/pip install torch transformers safetensors
    /work/venv-torch/bin/python scripts/make_tiny_models.py

Writes Tests/FinchModelsTests/Fixtures/tiny/<arch>/: an ordinary HF model directory (config.json,
model.safetensors or shards, tokenizer.json, tokenizer_config.json with a chat template) plus
reference.json: fixed input ids (B,T), the fp32 logits (B,T,V) of the transformers forward pass, and
greedy continuations from transformers generate (KV cache). Everything is seeded; outputs are small.
"""
import json
import os
import shutil
import sys

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    GPT2Config,
    GPT2LMHeadModel,
    LlamaConfig,
    LlamaForCausalLM,
    PreTrainedTokenizerFast,
    Qwen2Config,
    Qwen2ForCausalLM,
    Qwen3Config,
    Qwen3ForCausalLM,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "FinchModelsTests", "Fixtures", "tiny")
CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
TEXT = [
    "The quick brown fox jumps over the lazy dog.",
    "Finch is a self-hosted fine-tuning server that speaks the OpenAI API.",
    "Hello world! Numbers 12345 and symbols #$%& go here.",
    "Tiny models are random, but their logits are still exact.",
] * 20


def make_tokenizer(vocab_size=320):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(TEXT, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<|endoftext|>", eos_token="<|im_end|>", unk_token="<|endoftext|>",
        pad_token="<|endoftext|>",
    )


def build(arch, tok):
    V = len(tok)
    eos = tok.convert_tokens_to_ids("<|im_end|>")
    bos = tok.convert_tokens_to_ids("<|endoftext|>")
    common = dict(vocab_size=V, bos_token_id=bos, eos_token_id=eos)
    if arch == "llama":
        # GQA, untied, llama3 rope scaling
        cfg = LlamaConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                          num_key_value_heads=2, max_position_embeddings=256, rms_norm_eps=1e-5,
                          rope_theta=500000.0, tie_word_embeddings=False,
                          rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                        "high_freq_factor": 4.0, "original_max_position_embeddings": 64},
                          **common)
        return LlamaForCausalLM(cfg), torch.float32, "100KB"
    if arch == "qwen2":
        cfg = Qwen2Config(hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
                          num_key_value_heads=2, max_position_embeddings=256, rms_norm_eps=1e-6,
                          rope_theta=1000000.0, tie_word_embeddings=True, **common)
        return Qwen2ForCausalLM(cfg), torch.bfloat16, None
    if arch == "qwen3":
        # head_dim (32) != hidden_size / heads (16)
        cfg = Qwen3Config(hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
                          num_key_value_heads=2, head_dim=32, max_position_embeddings=256, rms_norm_eps=1e-6,
                          rope_theta=1000000.0, tie_word_embeddings=True, **common)
        return Qwen3ForCausalLM(cfg), torch.float16, None
    if arch == "gpt2":
        cfg = GPT2Config(n_embd=64, n_layer=2, n_head=4, n_positions=128, **common)
        return GPT2LMHeadModel(cfg), torch.float32, None
    raise ValueError(arch)


def randomize(model, seed):
    # transformers' init leaves norms at 1 and biases at 0; perturb everything so each weight matters.
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _, p in model.named_parameters():
            p.add_(torch.randn(p.shape, generator=g) * 0.05)


def main():
    torch.manual_seed(0)
    tok = make_tokenizer()
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    for i, arch in enumerate(["llama", "qwen2", "qwen3", "gpt2"]):
        torch.manual_seed(100 + i)
        model, dtype, shard = build(arch, tok)
        randomize(model, 200 + i)
        model.eval()
        d = os.path.join(OUT, arch)
        os.makedirs(d)
        save_model = model.to(dtype) if dtype != torch.float32 else model
        kwargs = {"max_shard_size": shard} if shard else {}
        save_model.save_pretrained(d, safe_serialization=True, **kwargs)
        # Reload in fp32 from disk: what the Swift side loads (and fresh fp32 rope buffers,
        # which .to(bfloat16) would have rounded).
        model = type(model).from_pretrained(d, dtype=torch.float32).eval()
        tok.chat_template = CHATML
        tok.save_pretrained(d)
        for extra in ["generation_config.json", "special_tokens_map.json"]:
            p = os.path.join(d, extra)
            if os.path.exists(p):
                os.remove(p)

        g = torch.Generator().manual_seed(300 + i)
        B, T = 2, 9
        ids = torch.randint(0, len(tok), (B, T), generator=g)
        with torch.no_grad():
            logits = model(input_ids=ids).logits.float()
            prompt = torch.tensor([tok.encode("The quick brown fox")])
            gen = model.generate(prompt, max_new_tokens=12, do_sample=False, eos_token_id=None, pad_token_id=0,
                                 use_cache=True)
        ref = {
            "B": B, "T": T, "V": len(tok), "input_ids": ids.flatten().tolist(),
            "logits": [round(float(x), 7) for x in logits.flatten().tolist()],
            "generate": {"prompt_ids": prompt.flatten().tolist(), "output_ids": gen[0, prompt.shape[1]:].tolist()},
        }
        with open(os.path.join(d, "reference.json"), "w") as f:
            json.dump(ref, f)
        print(arch, "V", len(tok), "files", sorted(os.listdir(d)), file=sys.stderr)


if __name__ == "__main__":
    main()
