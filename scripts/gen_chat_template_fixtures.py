#!/usr/bin/env python3
"""Renders the chat templates under Tests/FinchTokenizerTests/Fixtures/chat_templates/ with Python
jinja2 configured exactly like transformers' apply_chat_template (ImmutableSandboxedEnvironment,
trim_blocks, lstrip_blocks, loopcontrols, HF's tojson, raise_exception, strftime_now) on a set of
conversations, and writes the expected renders to Fixtures/chat_template_renders.json.

The SmolLM2 template is taken from the GGUF's tokenizer.chat_template when the GGUF is present
(scripts/fetch-testdata.sh), otherwise from the committed smollm2.jinja.

Run by hand (needs jinja2; gguf only to refresh smollm2.jinja):  python3 scripts/gen_chat_template_fixtures.py
"""
import json
import os
import sys
from datetime import datetime, timezone

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "FinchTokenizerTests", "Fixtures")
TEMPLATES = os.path.join(FIXTURES, "chat_templates")
# strftime_now reports this instant so renders are reproducible (the Swift test passes the same).
NOW = datetime(2025, 3, 9, 12, 0, 0, tzinfo=timezone.utc)

SPECIAL_TOKENS = {
    "smollm2": ("<|im_start|>", "<|im_end|>"),
    "qwen2.5": (None, "<|im_end|>"),
    "qwen3": (None, "<|im_end|>"),
    "llama3.1": ("<|begin_of_text|>", "<|eot_id|>"),
    "llama3.2": ("<|begin_of_text|>", "<|eot_id|>"),
    "mistral-v0.3": ("<s>", "</s>"),
    # Not a model: exercises the rest of the supported Jinja subset.
    "features": ("<s>", "</s>"),
}


class RaisedByTemplate(jinja2.exceptions.TemplateError):
    """What transformers' raise_exception raises (a TemplateError), told apart from other errors."""


def make_env():
    def raise_exception(message):
        raise RaisedByTemplate(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return NOW.strftime(fmt)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "The city, e.g. Paris"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city"],
        },
    },
}

CONVERSATIONS = {
    "system_user": ([
        {"role": "system", "content": "You are a terse assistant."},
        {"role": "user", "content": "What is the capital of France?"},
    ], None),
    "user_only": ([
        {"role": "user", "content": "Hello!"},
    ], None),
    "multi_turn": ([
        {"role": "system", "content": "You are Marv, a sarcastic chatbot."},
        {"role": "user", "content": "How far is the Moon?"},
        {"role": "assistant", "content": "About 384,400 km. Give or take a few jokes."},
        {"role": "user", "content": "  And the Sun?  "},
    ], None),
    "unicode_quotes": ([
        {"role": "user", "content": "Héllo wörld 🌍 — \"quotes\" and 'apostrophes'\nnew line\ttab"},
        {"role": "assistant", "content": "Ça va? 你好"},
        {"role": "user", "content": "{{ not a template }} {% neither %}"},
    ], None),
    "tools": ([
        {"role": "user", "content": "What's the weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "call12345", "type": "function",
             "function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}},
        ]},
        {"role": "tool", "tool_call_id": "call12345", "content": "{\"temperature\": 21, \"sky\": \"clear\"}"},
    ], [WEATHER_TOOL]),
    "tools_with_system": ([
        {"role": "system", "content": "Use tools when helpful."},
        {"role": "user", "content": "Weather in Oslo in fahrenheit?"},
    ], [WEATHER_TOOL]),
    "thinking": ([
        {"role": "user", "content": "Is 17 prime?"},
        {"role": "assistant", "content": "<think>\nCheck divisors up to 4.\n</think>\n\nYes, 17 is prime."},
        {"role": "user", "content": "And 21?"},
    ], None),
    "builtin_tools": ([
        {"role": "system", "content": "You search the web."},
        {"role": "user", "content": "Who won the 2024 Tour de France?"},
        {"role": "assistant", "tool_calls": [
            {"id": "call54321", "type": "function",
             "function": {"name": "brave_search", "arguments": {"query": "2024 Tour de France winner"}}},
        ]},
        {"role": "ipython", "content": {"winner": "Tadej Pogacar"}},
    ], None, {"builtin_tools": ["brave_search", "code_interpreter", "wolfram_alpha"], "date_string": "01 Jan 2025",
              "tools_in_user_message": False}),
    "bad_alternation": ([
        {"role": "user", "content": "one"},
        {"role": "user", "content": "two"},
    ], None),
}


def main():
    env = make_env()
    smollm_gguf = os.path.join(ROOT, ".testdata", "smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
    if os.path.exists(smollm_gguf):
        try:
            from gguf import GGUFReader
            field = GGUFReader(smollm_gguf).fields["tokenizer.chat_template"]
            with open(os.path.join(TEMPLATES, "smollm2.jinja"), "w") as f:
                f.write(bytes(field.parts[field.data[0]]).decode("utf-8"))
        except ImportError:
            print("gguf not installed; using the committed smollm2.jinja", file=sys.stderr)

    cases = []
    for name, (bos, eos) in SPECIAL_TOKENS.items():
        with open(os.path.join(TEMPLATES, name + ".jinja")) as f:
            template = env.from_string(f.read())
        for conversation, (messages, tools, *rest) in CONVERSATIONS.items():
            extra = rest[0] if rest else {}
            for add_generation_prompt in (True, False):
                context = {**extra, "messages": messages, "tools": tools, "documents": None,
                           "add_generation_prompt": add_generation_prompt}
                if bos is not None:
                    context["bos_token"] = bos
                context["eos_token"] = eos
                case = {"template": name, "conversation": conversation,
                        "add_generation_prompt": add_generation_prompt}
                try:
                    case["expected"] = template.render(**context)
                except jinja2.exceptions.TemplateError as e:
                    case["error"] = str(e)
                    case["error_kind"] = "raised" if isinstance(e, RaisedByTemplate) else type(e).__name__
                cases.append(case)

    out = {
        "now_unix": int(NOW.timestamp()),
        "special_tokens": {k: {"bos_token": v[0], "eos_token": v[1]} for k, v in SPECIAL_TOKENS.items()},
        "conversations": {k: {"messages": v[0], "tools": v[1], "extra": v[2] if len(v) > 2 else {}}
                          for k, v in CONVERSATIONS.items()},
        "cases": cases,
    }
    path = os.path.join(FIXTURES, "chat_template_renders.json")
    with open(path, "w") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {path}")


if __name__ == "__main__":
    main()
