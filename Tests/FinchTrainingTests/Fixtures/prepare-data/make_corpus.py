#!/usr/bin/env python3
"""Writes the prepare-data corpus: one file per error category, good files, and files with warnings.

Every bad file is ten or more good examples with the bad lines at known line numbers, so each file shows its
own category only (PrepareDataTests.swift lists the expected categories and lines). Run from anywhere:
    python3 Tests/FinchTrainingTests/Fixtures/prepare-data/make_corpus.py
"""

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
SYSTEM = {"role": "system", "content": "Marv is a factual chatbot that is also sarcastic."}
QA = [
    ("What's the capital of France?", "Paris, as if everyone doesn't know that already."),
    ("Who wrote 'Romeo and Juliet'?", "Oh, just some guy named William Shakespeare."),
    ("How far is the Moon from Earth?", "Around 384,400 km. Give or take."),
    ("What's the capital of Peru?", "Lima. Write it down this time."),
    ("How many legs does a spider have?", "Eight. Count them."),
    ("What is H2O?", "Water. Shocking, I know."),
    ("Who painted the Mona Lisa?", "Leonardo da Vinci, obviously."),
    ("What's the capital of Japan?", "Tokyo. You could have guessed."),
    ("How many days are in a week?", "Seven, same as last week."),
    ("What color is the sky?", "Blue, on a good day."),
    ("What's the capital of Italy?", "Rome. It wasn't built in a day."),
    ("Who discovered gravity?", "Newton, with an apple's help."),
]


def chat(i: int) -> dict:
    q, a = QA[i % len(QA)]
    return {"messages": [SYSTEM, {"role": "user", "content": q}, {"role": "assistant", "content": a}]}


def good_lines(n: int, start: int = 0) -> list[str]:
    return [json.dumps(chat(start + i)) for i in range(n)]


def write(name: str, lines: list[str]) -> None:
    (HERE / name).write_text("\n".join(lines) + "\n")


def with_bad(n: int, bad: dict[int, str]) -> list[str]:
    """n lines; line numbers (1-based) in `bad` replaced."""
    lines = good_lines(n)
    for line, text in bad.items():
        lines[line - 1] = text
    return lines


def msg_line(*messages: dict, **extra) -> str:
    return json.dumps({"messages": list(messages), **extra})


U = {"role": "user", "content": "Hi"}
A = {"role": "assistant", "content": "Hello, I suppose."}

# --- errors: one category per file -------------------------------------------------------------
write("invalid_json.jsonl", with_bad(12, {4: '{"messages": [{"role": "user", "content": "Hi"}'}))
write("data_type.jsonl", with_bad(12, {3: "[1, 2]", 7: json.dumps({"messages": ["Hi", A]})}))
write("missing_messages_list.jsonl", with_bad(12, {
    2: json.dumps({"conversation": [U, A]}),
    5: json.dumps({"messages": []}),
    8: json.dumps({"messages": "Hi"}),
}))
write("mixed_formats.jsonl", good_lines(10) + [json.dumps({"prompt": "Capital of Peru?", "completion": " Lima"})])
write("message_missing_key.jsonl", with_bad(12, {
    3: msg_line(U, {"content": "no role here"}, A),
    6: msg_line(U, {"role": "assistant", "content": None, "function_call": {"name": "f", "arguments": "{}"}},
                {"role": "function", "content": "ok"}, A),
}))
write("message_unrecognized_key.jsonl", with_bad(12, {5: msg_line(U, {**A, "mood": "grumpy"})}))
write("unrecognized_role.jsonl", with_bad(12, {2: msg_line({"role": "robot", "content": "Beep"}, U, A)}))
write("missing_content.jsonl", with_bad(12, {
    4: msg_line({"role": "user"}, A),
    9: msg_line({"role": "user", "content": 42}, A),
}))
write("unsupported_content.jsonl", with_bad(11, {
    6: msg_line({"role": "user", "content": [{"type": "text", "text": "What is this?"},
                                             {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}, A),
}))
write("bad_weight.jsonl", with_bad(12, {
    3: msg_line(U, {**A, "weight": 2}),
    6: msg_line({**U, "weight": 1}, A),
}))
write("example_missing_assistant_message.jsonl", with_bad(12, {10: msg_line(SYSTEM, U)}))
write("bad_tools.jsonl", with_bad(12, {
    2: msg_line(U, A, tools="get_weather"),
    11: msg_line(U, A, functions=[]),
}))


def pc(prompt, completion="@") -> str:
    d = {"prompt": prompt}
    if completion != "@":
        d["completion"] = completion
    return json.dumps(d)


PC_GOOD = [pc(f"{q}\n\n###\n\n", f" {a} END") for q, a in QA]
write("invalid_prompt.jsonl", PC_GOOD[:5] + [pc(5, " Five END")] + PC_GOOD[5:11])
write("missing_completion.jsonl", PC_GOOD[:7] + [pc("Capital of Chile?\n\n###\n\n")] + PC_GOOD[7:11])
write("empty_completion.jsonl", PC_GOOD[:2] + [pc("Capital of Chile?\n\n###\n\n", "")] + PC_GOOD[2:11])
write("too_few_examples.jsonl", good_lines(3))
write("no_examples.jsonl", ["", "   ", ""])
# several categories at once: the job reports the first (line 2), the report all of them
write("several_errors.jsonl", with_bad(14, {
    2: msg_line(U, {**A, "mood": "grumpy"}, {"role": "robot", "content": "Beep"}),
    5: "{oops",
    9: msg_line(U),
    13: msg_line({"role": "user", "content": None}, {**A, "weight": "yes"}),
}))

# --- good files ----------------------------------------------------------------------------------
write("good_chat.jsonl", good_lines(12) + [""])  # a trailing blank line is skipped
write("good_prompt_completion.jsonl", PC_GOOD)
weights = []
for i in range(10):
    q, a = QA[i]
    weights.append(msg_line(SYSTEM, {"role": "user", "content": q}, {"role": "assistant", "content": a.split(",")[0].split(".")[0], "weight": 0},
                            {"role": "user", "content": "Say it more sarcastically."}, {"role": "assistant", "content": a, "weight": 1}))
write("good_weights.jsonl", weights)
tool = {"type": "function", "function": {"name": "get_weather", "description": "Weather in a city",
                                         "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}
call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Oslo\"}"}}
tools = []
for i in range(5):
    tools.append(msg_line(SYSTEM, {"role": "user", "content": "Weather in Oslo?"},
                          {"role": "assistant", "content": None, "tool_calls": [call]},
                          {"role": "tool", "tool_call_id": "call_1", "content": "Cold."},
                          {"role": "assistant", "content": "Cold. It's Oslo."}, tools=[tool], parallel_tool_calls=False))
    tools.append(msg_line(SYSTEM, {"role": "user", "content": "Weather in Oslo?"},
                          {"role": "assistant", "content": None, "function_call": {"name": "get_weather", "arguments": "{}"}},
                          {"role": "function", "name": "get_weather", "content": "Cold."},
                          {"role": "assistant", "content": "Cold, as ever."}, functions=[tool["function"]]))
write("good_tools.jsonl", tools)

# --- accepted with warnings ----------------------------------------------------------------------
long_answer = " ".join(["Sarcasm is a renewable resource."] * 12)
warn = good_lines(12)
warn[1] = msg_line({"role": "user", "content": QA[1][0]}, {"role": "assistant", "content": QA[1][1]})  # no system
warn[3] = msg_line(SYSTEM, {"role": "assistant", "content": "Nobody asked, but: hello."})  # no user
warn[6] = warn[0]  # duplicate of line 1
warn[8] = json.dumps({**chat(8), "source": "forum"})  # ignored key
warn[9] = msg_line(SYSTEM, {"role": "user", "content": "Tell me about sarcasm."},
                   {"role": "assistant", "content": long_answer})  # over the tiny model's context
warn[10] = msg_line(SYSTEM, {"role": "user", "content": long_answer}, {"role": "assistant", "content": "No."})  # answer cut off
warn[11] = msg_line(SYSTEM, U, {**A, "weight": 0})  # nothing trained
write("warnings_chat.jsonl", warn)
write("warnings_prompt_completion.jsonl",
      [pc(q, a) for q, a in QA[:10]] + [pc("Capital of Chile", " Santiago")])
# a validation file sharing two examples with good_chat.jsonl
write("validation_overlap.jsonl", good_lines(2) + [
    msg_line(SYSTEM, {"role": "user", "content": q}, {"role": "assistant", "content": a})
    for q, a in [("What's 2 + 2?", "4. Math is hard."), ("Is water wet?", "Yes. Next question."),
                 ("What's the capital of Chile?", "Santiago, naturally.")]] + [""])
