// Writes smollm2-ids.json: token ids that Hugging Face's own JavaScript tokenizers
// (@huggingface/tokenizers, pinned in package-lock.json) give for a varied set of strings,
// the independent reference that tests/tokenizer/hf_reference_ids_test.cpp holds weft's
// tokenizer to. Regenerate from this folder with
//   npm ci && node generate.mjs ../../../../shared/models/smollm2-tokenizer/tokenizer.json
// (the path of SmolLM2's tokenizer.json; the default is the one above).
import { readFileSync, writeFileSync } from "node:fs";
import { Tokenizer } from "@huggingface/tokenizers";

const tokenizerPath = process.argv[2] ?? "../../../../shared/models/smollm2-tokenizer/tokenizer.json";
const tokenizerJson = JSON.parse(readFileSync(tokenizerPath, "utf8"));
// SmolLM2 adds no BOS or EOS: an empty tokenizer_config.json is what the model ships with
// regarding encoding (its post_processor is null).
const tokenizer = new Tokenizer(tokenizerJson, {});
const version = JSON.parse(
  readFileSync(new URL("node_modules/@huggingface/tokenizers/package.json", import.meta.url), "utf8"),
).version;

// Written out one by one: each probes one part of the byte-level BPE pipeline (the GPT-2
// split pattern, individual digits, byte fallback to the 256 byte symbols, added tokens).
const fixed = [
  "",
  "Hello world",
  "Hello, world! How are you today?",
  "The quick brown fox jumps over the lazy dog.",
  " leading space",
  "trailing space ",
  "  two leading spaces",
  "a  b   c    d     e",
  "tabs\tand\t\ttabs",
  "line one\nline two\n\nline four",
  "windows\r\nline endings\r\n",
  "\n\n\n",
  "   \t \n  \t\t\n ",
  "mixed \u00a0no-break\u2003em space",
  "I'm sure it's what they'd've wanted, isn't it? We'll see; you're right.",
  "SHOUTING AND MiXeD CaSe",
  "1234567890",
  "3.14159 and 2,718 and 1e-10",
  "Year 2024: 12:30pm, +44 20 7946 0958",
  "00000000000000000000",
  "v1.2.3-rc.4+build.567",
  "café naïve résumé façade",
  "cafe\u0301 (decomposed e + combining acute)",
  "Ünïcödé ÄÖÜ äöü ß",
  "Привет, мир! Как дела?",
  "Γειά σου Κόσμε",
  "こんにちは世界",
  "你好，世界！今天天气很好。",
  "안녕하세요 세계",
  "مرحبا بالعالم",
  "שלום עולם",
  "नमस्ते दुनिया",
  "สวัสดีชาวโลก",
  "😀😃😄😁 emoji",
  "👍🏽 thumbs with skin tone",
  "👨‍👩‍👧‍👦 family (zero-width joiners)",
  "🇫🇷🇯🇵 flags",
  "❤️ heart with variation selector",
  "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 mathematical letters",
  "\u0000\u0001\u001f control characters",
  "\ufeffbyte order mark",
  "zero\u200bwidth\u200cspace",
  "~!@#$%^&*()_+-=[]{}|;':\",./<>?`",
  "...!!!???---___===",
  "email@example.com https://example.org/path?query=1&x=y#frag",
  "int main(int argc, char** argv) {\n  return argc > 1 ? 0 : 1;\n}\n",
  "def f(x):\n    if x:\n        return [i ** 2 for i in range(x)]\n    return None\n",
  "const f = async (a, b) => { await g(a); return `${a}-${b}`; };",
  "<div class=\"a\">&amp; &lt;tag&gt;</div>",
  "{\"key\": [1, 2.5, true, null], \"nested\": {\"k\": \"v\"}}",
  "SELECT * FROM users WHERE id = 42 AND name LIKE '%o%';",
  "    indented with four spaces",
  "\tindented with a tab",
  "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n",
  "<|endoftext|>",
  "text<|endoftext|>more text",
  "<|im_start|><|im_end|>",
  "<repo_name>weft<file_sep>src/main.cpp<filename>",
  "<|im_start without its end",
  "not special: <|im_start |> and < |im_end|>",
  "<jupyter_code>print(1)<jupyter_output>1<empty_output>",
];

// Deterministic mixes of fragments, to reach the boundaries between kinds of text that the
// fixed strings do not (a linear congruential generator: the same strings on every run).
const fragments = [
  "the", " The", "  ", "\n", "\t", "123", "4", "é", "ñ", "日本", "語", "😀", "👍🏽", "'s", "'t",
  "'re", "?!", "...", "<|im_end|>", "<|endoftext|>", "x", "ABC", "-", "_", "=>", "::", "(", ")",
  "{", "}", " ", "0", "٣", "\u00a0", "\u200d", "ß", "Ω", "\r\n", "// comment", "#",
];
let state = 12345;
function next() {
  state = (Math.imul(state, 1103515245) + 12345) >>> 0;
  return state >>> 8;
}
const mixed = [];
for (let i = 0; i < 200; ++i) {
  let text = "";
  const pieces = 1 + (next() % 12);
  for (let p = 0; p < pieces; ++p) text += fragments[next() % fragments.length];
  mixed.push(text);
}

const cases = [...fixed, ...mixed].map((text) => ({
  text,
  ids: Array.from(tokenizer.encode(text, { add_special_tokens: false }).ids, Number),
}));
const header = {
  generator: "tests/tokenizer/hf-reference/generate.mjs",
  reference: `@huggingface/tokenizers ${version}`,
  tokenizer: "SmolLM2 tokenizer.json (../shared/models/smollm2-tokenizer)",
  options: "encode(text, { add_special_tokens: false }); added tokens in the text are split out",
};
// One case a line, so that a change in the reference reads as a diff of the cases it touched.
const lines = Object.entries(header).map(([key, value]) => ` ${JSON.stringify(key)}: ${JSON.stringify(value)},`);
const caseLines = cases.map((c, i) => `  ${JSON.stringify(c)}${i + 1 < cases.length ? "," : ""}`);
writeFileSync("smollm2-ids.json", ["{", ...lines, ' "cases": [', ...caseLines, " ]", "}", ""].join("\n"));
console.log(`wrote ${cases.length} cases to smollm2-ids.json`);
