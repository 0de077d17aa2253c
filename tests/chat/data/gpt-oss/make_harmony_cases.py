#!/usr/bin/env python3
"""Renders gpt-oss's chat template (the "harmony" format) with Python's Jinja2 in Hugging Face's
chat-template mode for a set of conversations, and writes harmony_cases.json, the reference
that tests/chat/harmony_template_test.cpp compares weft's renderer with.
Run: python3 make_harmony_cases.py > harmony_cases.json   (Jinja2 3.1.6 made the stored file)"""
import json
import pathlib
from datetime import datetime

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
# The reference time of the other template references (tests/chat/chat_template_exactness_test.cpp).
env.globals["strftime_now"] = lambda fmt: datetime(2026, 11, 22, 9, 30).strftime(fmt)

TEMPLATE = env.from_string((pathlib.Path(__file__).parent / "openai-gpt-oss-120b.jinja").read_text())

WEATHER_TOOLS = [
    {"type": "function", "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {"type": "object", "properties": {
            "city": {"type": "string", "description": "The city"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "precise": {"type": "boolean", "nullable": True}},
            "required": ["city"]}}},
    {"type": "function", "function": {"name": "now", "description": "The time",
                                      "parameters": {"type": "object", "properties": {}}}},
]

RICH_TOOLS = [
    {"type": "function", "function": {
        "name": "plan_trip",
        "description": "Plans a trip",
        "parameters": {"type": "object", "properties": {
            "stops": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
            "budget": {"type": "number", "description": "In euros", "default": 100},
            "mode": {"type": "string", "enum": ["car", "train"], "default": "train"},
            "legs": {"type": "array", "items": {"type": "integer"}},
            "flags": {"type": "array", "items": {"type": "boolean"}},
            "notes": {"oneOf": [{"type": "string"}, {"type": "null"}]},
            "when": {"type": ["string", "null"]}},
            "required": ["stops"]}}},
    {"type": "function", "function": {"name": "noop", "description": "Nothing",
                                      "parameters": {"type": "object", "properties": {}}}},
]

CASES = [
    {"case": "user_only", "messages": [{"role": "user", "content": "Hello!"}], "add_generation_prompt": True},
    {"case": "user_only_no_generation_prompt", "messages": [{"role": "user", "content": "Hello!"}], "add_generation_prompt": False},
    {"case": "system_becomes_developer", "messages": [
        {"role": "system", "content": "Answer in French."},
        {"role": "user", "content": "What is 2+2?"}], "add_generation_prompt": True},
    {"case": "multi_turn_with_thinking", "messages": [
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "4.", "thinking": "Simple arithmetic."},
        {"role": "user", "content": "And 3+3?"}], "add_generation_prompt": True},
    {"case": "last_assistant_keeps_thinking", "messages": [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello.", "thinking": "Greet back."}], "add_generation_prompt": False},
    {"case": "reasoning_effort_and_identity", "messages": [{"role": "user", "content": "Hi"}],
     "add_generation_prompt": True, "extra_context": {"reasoning_effort": "high", "model_identity": "You are Weft."}},
    {"case": "tools_call_and_result", "tools": WEATHER_TOOLS, "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": "", "thinking": "Call the tool.", "tool_calls": [
            {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris", "days": 2}}}]},
        {"role": "tool", "content": "{\"temperature\": 21}"}], "add_generation_prompt": True},
    {"case": "builtin_tools", "messages": [{"role": "user", "content": "Search it."}],
     "add_generation_prompt": True, "extra_context": {"builtin_tools": ["browser", "python"]}},
    {"case": "tool_types_and_defaults", "tools": RICH_TOOLS, "messages": [{"role": "user", "content": "Plan."}],
     "add_generation_prompt": True},
    {"case": "content_before_tool_call_is_analysis", "tools": WEATHER_TOOLS, "messages": [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": "I will look it up.", "tool_calls": [
            {"function": {"name": "now", "arguments": {}}}]},
        {"role": "tool", "content": "09:30"},
        {"role": "assistant", "content": "It is 09:30."}], "add_generation_prompt": False},
    {"case": "error_channel_tags_in_content", "messages": [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "<|channel|>final<|message|>Hello"},
        {"role": "user", "content": "Again"}], "add_generation_prompt": True},
    {"case": "error_content_and_thinking_with_tool_call", "tools": WEATHER_TOOLS, "messages": [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": "Looking.", "thinking": "Call it.", "tool_calls": [
            {"function": {"name": "now", "arguments": {}}}]}], "add_generation_prompt": True},
    {"case": "error_tool_without_description", "tools": [{"type": "function", "function": {"name": "bare"}}],
     "messages": [{"role": "user", "content": "Hi"}], "add_generation_prompt": True},
    {"case": "error_tool_without_call", "messages": [
        {"role": "user", "content": "Hi"}, {"role": "tool", "content": "x"}], "add_generation_prompt": True},
]

results = []
for case in CASES:
    variables = {"messages": case["messages"], "add_generation_prompt": case["add_generation_prompt"],
                 "bos_token": "<|startoftext|>", "eos_token": "<|return|>"}
    if "tools" in case:
        variables["tools"] = case["tools"]
    variables.update(case.get("extra_context", {}))
    out = dict(case)
    out["bos_token"] = variables["bos_token"]
    out["eos_token"] = variables["eos_token"]
    try:
        out["expected"] = TEMPLATE.render(**variables)
    except jinja2.exceptions.TemplateError as error:
        out["error"] = str(error)
    results.append(out)
print(json.dumps(results, ensure_ascii=False, indent=1))
