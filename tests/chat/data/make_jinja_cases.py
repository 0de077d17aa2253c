#!/usr/bin/env python3
"""Renders small Jinja snippets with Python's Jinja2 in Hugging Face's chat-template mode and
writes jinja_cases.json, the reference that tests/chat/jinja_semantics_test.cpp compares with.
Run it again after adding snippets: python3 make_jinja_cases.py > jinja_cases.json"""
import json
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
env.globals["strftime_now"] = lambda fmt: datetime(2026, 11, 22, 9, 30).strftime(fmt)

VARS = {
    "messages": [
        {"role": "system", "content": "  Be brief.  "},
        {"role": "user", "content": "Hi <there> & 'you'", "name": "ann"},
        {"role": "assistant", "content": None, "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1, "b": [1.5, True, None]}}}]},
    ],
    "nums": [3, 1, 2, 10, -4],
    "words": ["Apple", "banana", "apple", "Cherry"],
    "d": {"z": 1, "a": 2, "m": {"x": "y"}},
    "text": "  Hello, Wörld! \u4e16\u754c  ",
    "f": 2.5,
    "big": 1e20,
    "small": 0.0001,
    "tiny": 0.00001,
    "none_value": None,
    "empty": [],
}

SNIPPETS = [
    # loops
    "{% for m in messages %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.length }}/{{ loop.first }}/{{ loop.last }};{% endfor %}",
    "{% for n in nums %}{{ loop.previtem | default('-') }}>{{ n }}>{{ loop.nextitem | default('-') }} {% endfor %}",
    "{% for n in nums if n > 1 %}{{ n }}:{{ loop.length }} {% endfor %}",
    "{% for n in empty %}x{% else %}empty{% endfor %}",
    "{% for n in nums %}{% if n == 2 %}{% break %}{% endif %}{{ n }}{% endfor %}",
    "{% for n in nums %}{% if n < 2 %}{% continue %}{% endif %}{{ n }}{% endfor %}",
    "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
    "{% for k in d %}{{ k }}{% endfor %}",
    "{% for c in 'héllo' %}[{{ c }}]{% endfor %}",
    "{% for n in nums %}{{ loop.cycle('a', 'b') }}{% endfor %}",
    "{% for i in range(3) %}{{ i }}{% endfor %}|{% for i in range(1, 10, 3) %}{{ i }}{% endfor %}",
    # set and scoping
    "{% set x = 1 %}{% for n in nums %}{% set x = n %}{% endfor %}{{ x }}",
    "{% set ns = namespace(total=0) %}{% for n in nums %}{% set ns.total = ns.total + n %}{% endfor %}{{ ns.total }}",
    "{% set a, b = [1, 2] %}{{ a }}-{{ b }}",
    "{% set block | upper %}Hello {{ 'there' }}{% endset %}[{{ block }}]",
    "{% set t = (1, 2) %}{{ t | length }}",
    # macros and call
    "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('a') }} {{ greet('b', '?') }} {{ greet(name='c', punct='.') }}",
    "{% macro wrap() %}<{{ caller() }}>{% endmacro %}{% call wrap() %}inside{% endcall %}",
    "{% macro f(x) %}{{ x }}{{ varargs | length }}{% endmacro %}{{ f(1, 2, 3) }}",
    "{% macro rec(n) %}{% if n > 0 %}{{ n }}{{ rec(n - 1) }}{% endif %}{% endmacro %}{{ rec(4) }}",
    # expressions
    "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }}",
    "{{ 'a' ~ 1 ~ none ~ true }} {{ 'ab' * 3 }} {{ [1] + [2] }}",
    "{{ nums[1:3] }} {{ nums[::-1] }} {{ nums[-2:] }} {{ nums[::2] }} {{ 'abcdef'[1:-1:2] }} {{ text[2:7] }}",
    "{{ 1 in nums }} {{ 5 not in nums }} {{ 'a' in d }} {{ 'ell' in 'hello' }}",
    "{{ 1 < 2 < 3 }} {{ 3 > 2 > 5 }} {{ 'a' < 'b' }} {{ [1, 2] == [1, 2] }} {{ {'a': 1} == {'a': 1} }}",
    "{{ 'yes' if nums else 'no' }} {{ 'yes' if empty else 'no' }} [{{ 'x' if false }}]",
    "{{ none_value or 'fallback' }} {{ nums and 'has' }} {{ not empty }}",
    "{{ d.m.x }} {{ d['m']['x'] }} {{ messages[1].name }} {{ messages[-1]['tool_calls'][0].function.arguments }}",
    "{{ f }} {{ big }} {{ small }} {{ tiny }} {{ 1.0 }} {{ 3.14159 }} {{ f * 2 }} {{ 10 / 4 }}",
    "{{ nums }} {{ d }} {{ messages[2] }} {{ none_value }} {{ true }} {{ 'it\\'s' }} {{ [\"a'b\"] }}",
    "{{ \"double\" 'adjacent' }} {{ '\\u00e9\\n' | length }}",
    # undefined behaviour
    "[{{ missing }}] [{{ missing | default('dflt') }}] [{{ missing is defined }}] [{{ missing | length }}]",
    "{% if missing %}t{% else %}f{% endif %} {% for x in missing %}x{% endfor %}done",
    "{{ d.nothing is defined }} {{ d.nothing | default(7) }} {{ messages[9] is defined }}",
    "{{ none_value | default('n') }} {{ none_value | default('n', true) }} {{ '' | default('e', true) }}",
    "{{ missing is undefined }} {{ nums is undefined }} {{ d.nothing is undefined }} {{ messages[9] is undefined }} {{ missing is not undefined }} {{ none_value is undefined }}",
    # tests
    "{{ 1 is number }} {{ true is number }} {{ 1 is integer }} {{ true is integer }} {{ 1.5 is float }} {{ 'a' is string }}",
    "{{ d is mapping }} {{ nums is iterable }} {{ 'x' is iterable }} {{ 1 is iterable }} {{ nums is sequence }} {{ missing is iterable }}",
    "{{ none_value is none }} {{ true is boolean }} {{ false is false }} {{ true is true }} {{ 1 is true }}",
    "{{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ 'x' is equalto 'x' }} {{ 2 is in nums }} {{ 'abc' is lower }} {{ 'ABC' is upper }}",
    "{{ nums | select('odd') | list }} {{ nums | reject('odd') | list }} {{ messages | selectattr('name', 'defined') | map(attribute='role') | list }}",
    "{{ messages | rejectattr('role', 'equalto', 'user') | map(attribute='role') | join(', ') }}",
    # filters
    "[{{ text | trim }}] [{{ text | upper }}] [{{ text | lower }}] [{{ 'hello wORLD-x (y)' | title }}] [{{ 'hELLO' | capitalize }}]",
    "{{ tools | tojson }} {{ d | tojson }} {{ messages | tojson }}",
    "{{ d | tojson(indent=2) }}|{{ nums | tojson(indent=4) }}|{{ {} | tojson(indent=2) }}|{{ [[], {}] | tojson(indent=1) }}",
    "{{ 'ünï \"q\" \\\\ \\n\\t' | tojson }} {{ f | tojson }} {{ big | tojson }} {{ none_value | tojson }}",
    "{{ nums | length }} {{ d | count }} {{ text | length }} {{ nums | first }} {{ nums | last }} {{ 'abc' | first }}",
    "{{ words | unique | list }} {{ words | unique(case_sensitive=true) | list }} {{ words | sort | list }} {{ nums | sort(reverse=true) }}",
    "{{ nums | min }} {{ nums | max }} {{ nums | sum }} {{ words | min }} {{ nums | map('string') | join('-') }}",
    "{{ d | items | list }} {{ d | dictsort }} {{ 'abc' | list }} {{ nums | reverse | list }} {{ 'abc' | reverse }}",
    "{{ 'a-b-a' | replace('a', 'x') }} {{ 'aaa' | replace('a', 'b', 2) }} {{ nums | string }} {{ 42 | string }}",
    "{{ '12' | int + 1 }} {{ 'x' | int }} {{ '3.7' | int }} {{ 3.9 | int }} {{ '2.5' | float }} {{ 'q' | float }} {{ -3 | abs }} {{ 2.567 | round(2) }} {{ 2.5 | round }}",
    "{{ '0x1A' | int }} {{ '0x1A' | int(base=16) }} {{ '1A' | int(0, 16) }} {{ '0x1A' | int(7, 0) }} {{ '010' | int(3, 0) }} {{ '0b101' | int(base=2) }} {{ ' 1_000 ' | int }} {{ '1__0' | int(5) }} {{ '-12' | int }} {{ '+7' | int }}",
    "{{ '1e3' | int }} {{ '42.23' | int }} {{ '.5' | int(9) }} {{ 'nan' | int(4) }} {{ 'z' | int(-1) }} {{ '0x1A' | float }} {{ '1_0.5' | float }} {{ '1e' | float(2.5) }} {{ 'inf' | float }} {{ '-Infinity' | float }} {{ ' 2.5e-1 ' | float }}",
    "{{ '%s-%d' | format('a', 3) }} {{ '%i|%5.2f|%r|%%|%s' | format(7, 3.14159, 'q', [1, 'x']) }} {{ '%(a)s=%(b)d' | format(a='k', b=2) }} {{ 'plain' | format() }}",
    "[{{ '%5s|%-5s|%.2s|%-6.3s|%05s' | format('ab', 'ab', 'abcdef', 'abcdef', 'ab') }}] [{{ '%x %X %o %e %g %+d % d %03d' | format(26, 26, 8, 12345.678, 0.0001, 5, 5, 7) }}]",
    "[{{ '%s' | format(none_value) }}] [{{ '%r' | format('it\\'s') }}] [{{ '%3s|%-3s' | format('\u00e9', '\u4e16') }}] [{{ '%.1f' | format(2.25) }}] [{{ '%d' | format(3.9) }}] [{{ '%s %s' | format(true, 1.0) }}]",
    "[{{ 'a\\nb\\n\\nc' | indent(2) }}] [{{ 'a\\nb' | indent(2, true) }}] [{{ 'a\\n\\nb' | indent(4, blank=true) }}] [{{ 'x\\ny\\n' | indent }}]",
    "{{ words | join(', ') }} {{ messages | join('|', attribute='role') }} {{ [1, none, 'a'] | join }}",
    "{{ 'x' | safe + '<b>' }} {{ '<b>' + ('x' | safe) }} {{ '<b>' | e }} {{ 'ab' | center(6) }}|",
    "{{ 'a b  c' | wordcount }} {{ d | attr('items') is callable }}",
    # string methods
    "[{{ text.strip() }}] [{{ text.lstrip() }}] [{{ text.rstrip() }}] [{{ 'xxhixx'.strip('x') }}]",
    "{{ 'a,b,,c'.split(',') }} {{ ' a  b c '.split() }} {{ 'a,b,c'.split(',', 1) }} {{ 'a,b,c'.rsplit(',', 1) }}",
    "{{ 'hello'.startswith('he') }} {{ 'hello'.endswith('lo') }} {{ 'hello'.startswith(('x', 'h')) }} {{ 'hello'.replace('l', 'L') }}",
    "{{ 'hello world'.title() }} {{ 'Hello'.upper() }} {{ 'Hello'.lower() }} {{ 'hello'.capitalize() }} {{ 'héllo'.find('l') }} {{ 'hello'.count('l') }}",
    "{{ '-'.join(['a', 'b']) }} {{ 'a\\nb\\r\\nc'.splitlines() }} {{ '{} and {}'.format(1, 'x') }} {{ '123'.isdigit() }} {{ ' '.isspace() }}",
    "{{ d.get('a') }} {{ d.get('q', 'dflt') }} {{ d.get('q') }} {{ d.keys() | list }} {{ d.values() | list }}",
    # whitespace control
    "a\n  {% if true %}\n    b\n  {% endif %}\nc",
    "a  {%- if true -%}  b  {%- endif -%}  c",
    "{{- '  x  ' -}}   |  {{ 'y' }}\n{# comment #}\nz",
    "  {%+ if true %}kept{% endif %}\n{% if true +%}\nnext{% endif %}",
    "{% raw %}{{ not rendered }}{% endraw %}",
    "line1\n{% for i in [1, 2] %}\n  item{{ i }}\n{% endfor %}\nend\n",
    # more statements and scoping
    "{% macro m(a) %}{{ caller(a * 2) }}{% endmacro %}{% call(x) m(21) %}[{{ x }}]{% endcall %}",
    "{% filter upper %}shout {{ 'this' }}{% endfilter %}",
    "{% for a in [1, 2] %}{% for b in 'xy' %}{{ loop.index }}{{ a }}{{ b }} {% endfor %}{{ loop.index }}|{% endfor %}",
    "{% macro show() %}{{ later }}{% endmacro %}{% set later = 'seen' %}{{ show() }}",
    "{% if true %}{% set inner = 'leaks' %}{% endif %}{{ inner }}",
    "{% set ns = namespace(items=[]) %}{% for x in nums %}{% set ns.items = ns.items + [x * 2] %}{% endfor %}{{ ns.items }}",
    "{% for k, v in {'b': 1, 'a': 2} | dictsort %}{{ k }}{{ v }}{% endfor %} {{ {'b': 1, 'a': 2} }}",
    "{{ 'x' is in ['x', 'y'] }} {{ nums is not string }} {{ (nums | length) is divisibleby(5) }}",
    "{{ messages | map(attribute='content') | select | list | length }} {{ messages | map(attribute='nope', default='-') | list }}",
    "{{ nums | map('abs') | sum }} {{ words | map('upper') | join }} {{ words | map('replace', 'a', '4') | list }}",
    "{{ [3, 1, 2] | sort | first }} {{ 'Hello World' | lower | title }} {{ text | trim | length }}",
    "{{ d.items() | list | length }} {{ d | list }} {{ d.m.get('x') }} {{ d['m'].x | upper }}",
    "{% set x %}{% for i in range(3) %}{{ i }},{% endfor %}{% endset %}{{ x | trim(',') }}",
    "{{ '%s and %s' % ('a', 'b') }} {{ '%d%%' % 50 }}",
    "{{ 1 if 0 else 2 if 0 else 3 }} {{ (1, 2) }} {{ (1,) }} {{ () }}",
    "{% for m in messages if m.role != 'system' %}{{ m.role }}{% if not loop.last %},{% endif %}{% endfor %}",
    "{{ messages[1:] | length }} {{ messages[-1].content is none }} {{ messages[0].content | trim }}",
    "   {%- for i in [1] %}\n   {{ i }}\n   {%- endfor %}\n  end",
    # globals
    "{{ strftime_now('%Y-%m-%d %H:%M %b %A') }} {{ dict(a=1, b=2) }} {{ namespace(a=1).a }}",
    "{% set j = joiner('; ') %}{% for n in [1, 2, 3] %}{{ j() }}{{ n }}{% endfor %}",
]

cases = []
for source in SNIPPETS:
    rendered = env.from_string(source).render(tools=[{"type": "function", "function": {"name": "t"}}], **VARS)
    cases.append({"template": source, "expected": rendered})

print(json.dumps({"variables": VARS, "tools": [{"type": "function", "function": {"name": "t"}}], "cases": cases},
                 ensure_ascii=False, indent=1))
