// Asks llama.cpp's own grammar matcher (the prebuilt CPU library inside the npm package
// node-llama-cpp) whether each string of each grammar below is a sentence, and writes the
// verdicts to verdicts.json for tests/grammar/llamacpp_verdicts_test.cpp. See README.md here
// for the commands and exactly how a verdict is computed.
//
//   node generate.mjs --node-llama-cpp DIR --model stories260K-f32.gguf --out verdicts.json
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    "node-llama-cpp": { type: "string" },
    model: { type: "string" },
    out: { type: "string" },
    "parse-only": { type: "string" },
  },
});

async function loadNodeLlamaCpp() {
  const entry = join(args["node-llama-cpp"], "dist/index.js");
  return import(pathToFileURL(entry).href);
}

if (args["parse-only"] !== undefined) {
  const { getLlama } = await loadNodeLlamaCpp();
  const llama = await getLlama({ gpu: false, logLevel: "error" });
  try {
    new llama._bindings.AddonGrammar(args["parse-only"], { addonExports: llama._bindings });
    console.log("PARSES");
  } catch {
    console.log("REJECTS");
  }
  process.exit(0);
}
for (const required of args["parse-only"] !== undefined ? ["node-llama-cpp"] : ["node-llama-cpp", "model", "out"]) {
  if (!args[required]) throw new Error(`missing --${required}`);
}

// Strings are JS strings (written as UTF-8) or Buffers (any bytes, e.g. invalid UTF-8).
const bytes = (...values) => Buffer.from(values);
const utf8 = (text) => Buffer.from(text, "utf8");
const cat = (...parts) => Buffer.concat(parts.map((p) => (typeof p === "string" ? utf8(p) : p)));

const grammars = [
  {
    name: "alternation-and-grouping",
    gbnf: String.raw`# greetings: alternatives, optional groups and groups inside groups
root     ::= greeting (", " name)? "!"
greeting ::= "hi" | "hello" | "hey"
name     ::= "bob" | "alice" | ("dr" | "mr") " " [a-z]+
`,
    strings: ["hi!", "hello!", "hey!", "hi, bob!", "hello, alice!", "hey, dr who!",
      "hi, mr x!", "", "hi", "hello", "hi,", "hi, !", "hi, bob", "hi, dr !", "hi, drwho!",
      "hi, ms x!", "h!", "hii!", "hi!!", "hi, bob!x", " hi!", "hey, mr abcdefghij!",
      "hi, alice !", "HI!", "hello, dr bob!"],
  },
  {
    name: "star-plus-question",
    gbnf: String.raw`root ::= "a"* "b"+ "c"? ("de")* ("x" | "yz")+
`,
    strings: ["bx", "abx", "aaabbbx", "bcx", "bdex", "bdedeyz", "abcdedexyzx", "byzyz",
      "b", "", "x", "ax", "bccx", "bdx", "bdexd", "bcdeyzx", "aab", "abcde", "ba x", "by",
      "bxx", "bbbbbbbbbbbbbbbbbbbbbbbbbx", "bxa", "cbx", "abcdeyz"],
  },
  {
    name: "bounded-repetition",
    gbnf: String.raw`# {m}, {m,}, {m,n} and {0,n}, on classes, literals and groups
root ::= [0-9]{3} "-" [a-z]{2,} "-" "ab"{1,3} "-" ("x" [0-9]){0,2} "."
`,
    strings: ["123-ab-ab-.", "000-abc-abab-x1.", "999-zzzzzzzzzz-ababab-x1x2.",
      "12-ab-ab-.", "1234-ab-ab-.", "123-a-ab-.", "123-ab--.", "123-ab-abababab-.",
      "123-ab-ab-x1x2x3.", "123-ab-ab-x.", "123-ab-ab-x1", "", "123", "123-ab-a-.",
      "123-ab-aba-.", "abc-ab-ab-.", "123-AB-ab-.", "123-ab-ab-x12.", "123-abcdefghijklmnopqrstuvwxyz-ab-x0.",
      "123-ab-ab-..", "1a3-ab-ab-."],
  },
  {
    name: "char-classes",
    gbnf: String.raw`# ranges, several ranges in a class, negation, '-' and escaped ']' in classes
root  ::= ident ws "=" ws value sign? bracket?
ident ::= [a-zA-Z_] [a-zA-Z0-9_]*
ws    ::= [ \t]*
value ::= [^\n;+\-\]]+ ";"
sign  ::= [+-]
bracket ::= [\[\]]
`,
    strings: ["a=b;", "x_1 = hello world;", "_=1;", "Z9\t=\t v;", "a=b;+", "a=b;-", "a=b;]",
      "a=b;+[", "a=b;-]", "", "=b;", "1a=b;", "a=;", "a=b", "a=b\nc;", "a=b+c;", "a=b]c;",
      "a=b;;", "a=b;*", "a b=c;", "a=b;+-", "a=b;[]", "a = \u00e9t\u00e9;", "a=\u65e5\u672c;",
      "a-b=c;", "ab_CD_09=x;"],
  },
  {
    name: "any-character",
    gbnf: String.raw`# '.' matches any one character, including newlines and multibyte ones
root ::= "<" . . ">" | "[" .* "]" | "{" [^}]* "}"
`,
    strings: ["<ab>", "<\n\t>", "<\u00e9\u00e8>", "<\u65e5\u{1F600}>", "<>>>", "[]", "[abc]",
      "[a]]", "[]]]", "[\u00e9\n\u{1F600}]", "{}", "{\u00e9]}", "", "<a>", "<abc>", "[", "[abc",
      "{}}", "{", "<ab", "ab", "<a\u00e9",
      bytes(0x3c, 0x61, 0xff, 0x3e), bytes(0x5b, 0x80, 0x5d), bytes(0x3c, 0xc3, 0x3e, 0x3e)],
  },
  {
    name: "escapes",
    gbnf: String.raw`# \x, \u, \U, \t \n \r \\ \" escapes in literals and classes
root ::= "\x41\u00e9\t" [\x30-\x39]+ "\n" |
         "\"" [^"\\]* "\"" |
         "\\" [\u0100-\u017f\U0001F600-\U0001F64F] |
         "\r\n"
`,
    strings: ["A\u00e9\t0\n", "A\u00e9\t0123456789\n", "\"\"", "\"abc\"", "\"a'b\"",
      "\\\u0100", "\\\u017f", "\\\u{1F600}", "\\\u{1F64F}", "\r\n", "", "A\u00e9\t\n",
      "Ae\t0\n", "A\u00e9 0\n", "A\u00e9\t0", "\"a\"b\"", "\"a\\b\"", "\"abc", "\\\u00ff",
      "\\\u0180", "\\\u{1F650}", "\\\u{1F5FF}", "\\", "\n", "\r", "\n\r", "a\u00e9\t0\n",
      "A\u00c9\t0\n"],
  },
  {
    name: "utf8-multibyte",
    gbnf: String.raw`# multibyte characters written as themselves, in literals and in classes
root ::= "héllo " [α-ω]+ " " ("日本" | "😀")+ [^a-zé]?
`,
    strings: ["h\u00e9llo \u03b1 \u65e5\u672c", "h\u00e9llo \u03b1\u03c9 \u{1F600}",
      "h\u00e9llo \u03b2\u03b3 \u65e5\u672c\u{1F600}\u65e5\u672c", "h\u00e9llo \u03b1 \u{1F600}Z",
      "h\u00e9llo \u03b1 \u{1F600}\u00e8", "h\u00e9llo \u03b1 \u{1F600}\u{1F600}\u4e2d",
      "", "h\u00e9llo", "hello \u03b1 \u65e5\u672c", "h\u00e9llo  \u65e5\u672c",
      "h\u00e9llo \u0391 \u65e5\u672c", "h\u00e9llo \u03b1 \u65e5", "h\u00e9llo \u03b1 ",
      "h\u00e9llo \u03b1 \u{1F600}z", "h\u00e9llo \u03b1 \u{1F600}\u00e9",
      "h\u00e9llo \u03b1 \u{1F600}AB", "h\u00e9llo \u03c9\u03ca \u{1F600}",
      // é as a decomposed e + U+0301 is a different string
      "he\u0301llo \u03b1 \u{1F600}",
      // the last character cut short: its first byte(s) only
      cat("h\u00e9llo \u03b1 ", bytes(0xf0, 0x9f, 0x98)),
      cat("h\u00e9llo \u03b1 \u{1F600}", bytes(0xe4, 0xb8)),
      cat("h", bytes(0xc3), "llo \u03b1 \u{1F600}"),
      // a stray continuation byte, and a character with its lead byte replaced
      cat("h\u00e9llo \u03b1 \u{1F600}", bytes(0x80)),
      cat("h\u00e9llo ", bytes(0x80, 0xb1), " \u{1F600}"),
      // é with an invalid second byte, and é's code point in an overlong 3-byte form
      cat("h", bytes(0xc3, 0x29), "llo \u03b1 \u{1F600}"),
      cat("h", bytes(0xe0, 0x83, 0xa9), "llo \u03b1 \u{1F600}")],
  },
  {
    name: "nested-rules",
    gbnf: String.raw`# rules that use rules, recursion through parentheses, rule names with - and digits
root    ::= expr
expr    ::= term (add-op term)*
add-op  ::= "+" | "-"
term    ::= factor ("*" factor)*
factor  ::= number2 | "(" expr ")"
number2 ::= [0-9]+
`,
    strings: ["1", "1+2", "1+2*3", "(1+2)*3", "((((7))))", "2*(3-4)*(5+(6*7))", "10-20-30",
      "", "1+", "(1+2", "1+2)", "()", "+1", "1 + 2", "1**2", "(1)(2)", "((1)", "1-(-2)",
      "007", "(((((((((((1)))))))))))", "((((((((((1))))))))))))", "a", "1+2*"],
  },
  {
    name: "comments-and-layout",
    gbnf: String.raw`# a nested list; comments after rules and inside groups,
# alternatives and groups continued on further lines
root ::= "[" (
    item ("," item)*   # items separated by commas
  )? "]"               # an empty list is allowed
item ::= number |
         quoted |      # quoted text
         root          # a list inside a list
number ::= "-"? [1-9] [0-9]{0,5} | "0"
quoted ::= "'" [^'\x00-\x1f]* "'"
`,
    strings: ["[]", "[0]", "[1,2,3]", "[-42]", "[123456]", "['a b']", "['']", "[[]]",
      "[[1],[2,[3]]]", "[1,'x',[]]", "['\u00e9\u65e5']", "", "[", "]", "[,]", "[1,]",
      "[01]", "[-0]", "[1234567]", "['a]", "['a\nb']", "[1 ,2]", "[[]", "[]]", "['it's']",
      "[1]#"],
  },
  {
    name: "empty-and-ambiguous",
    gbnf: String.raw`# accepts the empty string; several parses of the same text
root ::= ("ab" | "a" | "b")* ("a"{2,4} | "c")?
`,
    strings: ["", "a", "b", "ab", "ba", "aaaa", "abab", "c", "abc", "aaaac", "bbbb",
      "aaaaaaaaaa", "ca", "cc", "d", "abd", "ab c", "A", "\u00e0"],
  },
  {
    name: "control-characters",
    gbnf: String.raw`# classes reaching the ends of the byte and code point ranges
root ::= "a" [\x00-\x20]? "b" [\x7f-\U0010FFFF]*
`,
    strings: ["ab", "a b", "a\tb", "a\x01b", "ab\x7f", "ab\u00ff\u{10FFFF}", "a\x00b", "ab\x00",
      "a!b", "", "a", "b", "ab~", "a  b",
      // code points UTF-8 can spell but that are not characters: a surrogate, U+110000,
      // and a 5-byte form; and an overlong form of '~'
      cat("ab", bytes(0xed, 0xa0, 0x80)), cat("ab", bytes(0xf4, 0x90, 0x80, 0x80)),
      cat("ab", bytes(0xf8, 0x88, 0x80, 0x80, 0x80)), cat("ab", bytes(0xc1, 0xbe)),
      // the text ends inside a character
      cat("ab", bytes(0xc3)), cat("ab", bytes(0xf0, 0x9f)), cat("a", bytes(0xc3))],
  },
];

// Grammar texts whose only question is whether llama.cpp's parser takes them.
const parseChecks = [
  String.raw`root ::= "a" | "b"`,
  'root ::= "a"\n  | "b"\n',
  'root ::= "a" |\n  "b"\n',
  'root ::= ("a"\n  | "b")\n',
  String.raw`root ::= root "a" | "a"`,
  'root ::= x "b"\nx ::= y? "a" | x "c"\ny ::= "y"\n',
  String.raw`root ::= foo`,
  String.raw`start ::= "a"`,
  'root ::= "a"\nroot ::= "b"\n',
  String.raw`root ::= ("a"?)*`,
  String.raw`root ::= ("a"?)+`,
  String.raw`root ::= ("a"?){2,}`,
  String.raw`root ::= ("a"?){0,3}`,
  String.raw`root ::= "a"{3,2}`,
  String.raw`root ::= "a"{,3}`,
  String.raw`root ::= "a"{}`,
  String.raw`root ::= "a"{2`,
  String.raw`root ::= [z-a]`,
  String.raw`root ::= [^]`,
  String.raw`root ::= []`,
  String.raw`root ::= "\q"`,
  String.raw`root ::= "abc`,
  String.raw`root ::= [abc`,
  String.raw`root ::= ("a"`,
  String.raw`root ::= "a")`,
  String.raw`root ::= "a" # comment without newline`,
  String.raw`root ::= rule-1 rule-2` + '\nrule-1 ::= "1"\nrule-2 ::= "2"\n',
  String.raw`root ::= Rule9` + '\nRule9 ::= "x"\n',
  String.raw`root ::= "\xZZ"`,
  String.raw`root ::= "\u12"`,
  String.raw`root ::= ""`,
  String.raw`root ::= "a" ""*`,
];

// Cases where llama.cpp's verdict is a known property of its matcher that weft deliberately
// does not share, each with the reason; the test counts and prints them instead of comparing.
// Strings are keyed by grammar name and the string's bytes in hex, grammar texts by the text.
const negatedClassPartialUtf8 =
  "llama.cpp judges a partial UTF-8 sequence against a negated class by asking whether any " +
  "excluded character lies in the range of code points the sequence can still become " +
  "(llama_grammar_match_partial_char): after the byte C3 that range is U+00C0-U+00FF, which " +
  "holds the excluded é (U+00E9), so the first byte of è (C3 A8) is refused although è is " +
  "not excluded. weft keeps a partial sequence while the class admits some code point it can " +
  "still become, and accepts è as the grammar says";
const quirks = {
  "utf8-multibyte": { "68c3a96c6c6f20ceb120f09f9880c3a8": negatedClassPartialUtf8 },
  "control-characters": {
    "610062":
      "llama.cpp's grammar sampler refuses every token whose text starts with a NUL byte (it " +
      "reads the piece as a C string), so U+0000 is never accepted even where a class holds " +
      "it; weft matches U+0000 as [\\x00-\\x20] says",
    "6162eda080":
      "llama.cpp decodes UTF-8 without refusing surrogates: ED A0 80 becomes U+D800, inside " +
      "[\\x7f-\\U0010FFFF]; weft treats an encoded surrogate as invalid UTF-8 (RFC 3629), which " +
      "never matches",
  },
};
const parseQuirks = {
  'root ::= "a"\nroot ::= "b"\n':
    "llama.cpp takes a second definition of a rule without complaint; weft refuses a rule " +
    "defined twice (docs/grammar.md)",
  'root ::= ("a"?)*':
    "this llama.cpp takes an open repetition of an item that can match nothing; weft refuses " +
    "it, since repeating an empty match never advances (docs/grammar.md)",
  'root ::= ("a"?)+':
    "this llama.cpp takes an open repetition of an item that can match nothing; weft refuses " +
    "it, since repeating an empty match never advances (docs/grammar.md)",
  'root ::= ("a"?){2,}':
    "this llama.cpp takes an open repetition of an item that can match nothing; weft refuses " +
    "it, since repeating an empty match never advances (docs/grammar.md)",
  "root ::= [z-a]":
    "llama.cpp takes a range whose end comes before its start (it matches nothing); weft " +
    "refuses it as a mistake in the grammar (docs/grammar.md)",
};

const module = await loadNodeLlamaCpp();
const { getLlama, readGgufFileInfo, LlamaGrammarEvaluationState } = module;
const packageVersion = JSON.parse(
  (await import("node:fs")).readFileSync(join(args["node-llama-cpp"], "package.json"), "utf8"),
).version;

// One token per byte: the model's <0xHH> byte-fallback tokens, whose piece is that byte.
const info = await readGgufFileInfo(args.model, { readTensorInfo: false });
const tokenTexts = info.metadata.tokenizer.ggml.tokens;
const byteToken = new Array(256);
tokenTexts.forEach((text, id) => {
  const match = /^<0x([0-9A-F]{2})>$/.exec(text);
  if (match) byteToken[parseInt(match[1], 16)] = id;
});
if (byteToken.some((id) => id === undefined) || byteToken.length !== 256) {
  throw new Error("the model lacks a byte-fallback token for some byte");
}

const llama = await getLlama({ gpu: false, logLevel: "warn" });
const model = await llama.loadModel({ modelPath: args.model });
const eos = model.tokens.eos;
const sampler = llama._bindings.AddonSampler;

function llamaCppAccepts(grammar, text) {
  const tokens = [...text].map((byte) => byteToken[byte]);
  // SentencePiece detokenising drops a leading space, which the grammar (fed each token's
  // piece) does see; a leading "x" keeps it.
  const decoded = model.detokenize([byteToken[0x78], ...tokens], false);
  if (isUtf8(text) && !Buffer.from(decoded, "utf8").equals(cat("x", text))) {
    throw new Error(`the tokens of ${text.toString("hex")} do not spell it back`);
  }
  const state = new LlamaGrammarEvaluationState({ model, grammar });
  for (const token of tokens) {
    if (!sampler.canBeNextTokenForGrammarEvaluationState(state._state, token)) return false;
    sampler.acceptGrammarEvaluationStateToken(state._state, token);
  }
  return sampler.canBeNextTokenForGrammarEvaluationState(state._state, eos);
}

function isUtf8(text) {
  return Buffer.from(text.toString("utf8"), "utf8").equals(text);
}

function describe(text) {
  return isUtf8(text) ? { text: text.toString("utf8") } : { hex: text.toString("hex") };
}

const output = {
  generator: "tests/grammar/data/llamacpp-verdicts/generate.mjs",
  node_llama_cpp_version: packageVersion,
  model: "stories260K-f32.gguf (SentencePiece vocabulary with <0xHH> byte-fallback tokens)",
  method:
    "each byte fed as its <0xHH> token: rejected as soon as a token cannot be next under the " +
    "grammar state; accepted iff after the last byte the end-of-generation token can be next",
  grammars: [],
};
for (const { name, gbnf, strings } of grammars) {
  const grammar = await llama.createGrammar({ grammar: gbnf }).catch((error) => {
    throw new Error(`llama.cpp does not parse grammar ${name}: ${error.message}`);
  });
  const cases = strings.map((value) => {
    const text = typeof value === "string" ? utf8(value) : value;
    const entry = { ...describe(text), llamacpp_accepts: llamaCppAccepts(grammar, text) };
    const reason = quirks[name]?.[text.toString("hex")];
    if (reason) entry.excluded = reason;
    return entry;
  });
  output.grammars.push({ name, gbnf, cases });
}
// Each parse check runs in its own process with bounded memory and time, since a grammar can
// make llama.cpp's parser fail by crashing or by exhausting memory rather than by an error.
function llamaCppParseOutcome(gbnf) {
  const child = spawnSync(
    "sh",
    ["-c", 'ulimit -v 4000000; exec "$0" "$@"', process.execPath, fileURLToPath(import.meta.url),
      "--node-llama-cpp", args["node-llama-cpp"], "--parse-only", gbnf],
    { encoding: "utf8", timeout: 60_000 },
  );
  const verdict = /^(PARSES|REJECTS)$/m.exec(child.stdout ?? "");
  if (child.status === 0 && verdict) return verdict[1] === "PARSES" ? "parses" : "rejects";
  return child.signal || child.status !== 0 ? `crashes (${child.signal ?? `exit ${child.status}`})` : "unknown";
}
output.parse_checks = parseChecks.map((gbnf) => {
  const outcome = llamaCppParseOutcome(gbnf);
  const entry = { gbnf, llamacpp_parses: outcome === "parses", llamacpp_outcome: outcome };
  if (parseQuirks[gbnf]) entry.excluded = parseQuirks[gbnf];
  return entry;
});
writeFileSync(args.out, JSON.stringify(output, null, 1) + "\n");
await model.dispose();
