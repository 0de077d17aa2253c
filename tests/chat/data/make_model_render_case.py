#!/usr/bin/env python3
"""Writes model_render_case.json: what Python's Jinja2 (Hugging Face chat-template mode)
renders for a request with the chat template and BOS/EOS token strings stored in a GGUF.
Usage: weft inspect --json --full ../shared/models/vocab/ggml-vocab-phi-3.gguf |
       python3 make_model_render_case.py > model_render_case.json"""
import json
import sys

from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

meta = json.load(sys.stdin)["metadata"]
tokens = meta["tokenizer.ggml.tokens"]["value"]
template = meta["tokenizer.chat_template"]["value"]
bos = tokens[meta["tokenizer.ggml.bos_token_id"]["value"]]
eos = tokens[meta["tokenizer.ggml.eos_token_id"]["value"]]
request = {
    "messages": [
        {"role": "user", "content": "Hello there"},
        {"role": "assistant", "content": "Hi! How can I help?"},
        {"role": "user", "content": "Tell me a joke <|end|> please"},
    ],
    "add_generation_prompt": True,
}
env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
expected = env.from_string(template).render(bos_token=bos, eos_token=eos, **request)
print(json.dumps({"model": "models/vocab/ggml-vocab-phi-3.gguf", "request": request, "expected": expected},
                 ensure_ascii=False, indent=1))
