// The strings weft's tokenizer must encode exactly as Hugging Face's does, on every vocabulary
// of compare.mjs. Each fixed string probes one part of a pipeline: pre-tokenizer patterns
// (contractions, digit groups, whitespace runs, punctuation), NFC, SentencePiece-style spaces
// ("▁") and byte fallback (characters absent from Gemma 3's vocabulary: U+0000, CJK
// extension A/B, cuneiform, hieroglyphs, Linear B, Adlam...), added tokens inside text.
// Deterministic mixes of fragments then reach the boundaries between kinds of text.

const common = [
  "",
  " ",
  "Hello world",
  "Hello, world! How are you today?",
  "The quick brown fox jumps over the lazy dog.",
  " leading space",
  "trailing space ",
  "  two leading spaces",
  "a  b   c    d     e      f",
  "tabs\tand\t\ttabs\t\t\t\tfour",
  "line one\nline two\n\nline four\n\n\n\nline eight",
  "windows\r\nline endings\r\n",
  "\n",
  "\n\n\n",
  "   \t \n  \t\t\n ",
  " \n \n ",
  "mixed \u00a0no-break\u2003em\u3000ideographic space",
  "I'm sure it's what they'd've wanted, isn't it? We'll see; you're right.",
  "I'M SURE IT'S WHAT THEY'D'VE WANTED, ISN'T IT? WE'LL SEE; YOU'RE RIGHT.",
  "don't can't won't shouldn't y'all o'clock rock'n'roll",
  "SHOUTING AND MiXeD CaSe",
  "1234567890",
  "1 12 123 1234 12345 123456 1234567",
  "3.14159 and 2,718 and 1e-10 and -0.5",
  "Year 2024: 12:30pm, +44 20 7946 0958",
  "00000000000000000000000000000000",
  "v1.2.3-rc.4+build.567",
  "١٢٣٤٥ ٦٧٨٩ Arabic-Indic digits, ३४५ Devanagari digits, ５６７ full-width",
  "café naïve résumé façade",
  "cafe\u0301 (decomposed e + combining acute)",
  "e\u0301\u0302\u0303\u0304 stacked combining marks",
  "Ünïcödé ÄÖÜ äöü ß ẞ",
  "Ǆǅǆ ﬁﬂ ﬀ ligatures and digraphs",
  "Привет, мир! Как дела?",
  "Γειά σου Κόσμε",
  "こんにちは世界",
  "カタカナとひらがなと漢字",
  "你好，世界！今天天气很好。",
  "中文句子没有空格但是很长很长很长很长很长很长很长很长很长很长",
  "안녕하세요 세계",
  "مرحبا بالعالم",
  "שלום עולם",
  "नमस्ते दुनिया",
  "สวัสดีชาวโลก",
  "ქართული ენა",
  "Հայերեն լեզու",
  "አማርኛ ቋንቋ",
  "தமிழ் மொழி",
  "😀😃😄😁 emoji",
  "👍🏽 thumbs with skin tone",
  "👨‍👩‍👧‍👦 family (zero-width joiners)",
  "🇫🇷🇯🇵🇺🇸 flags",
  "❤️ heart with variation selector",
  "🫠🫡🫢 newer emoji",
  "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕏 mathematical letters",
  "\u0000\u0001\u001f\u007f control characters",
  "nul\u0000in the middle",
  "\ufeffbyte order mark",
  "zero\u200bwidth\u200cspace\u200djoiner\u2060",
  "soft\u00adhyphen and line\u2028separator",
  "𠀀𠀁𠀂 CJK extension B",
  "㐀㐁䶵 CJK extension A",
  "𒀀𒀁 cuneiform, 𓀀𓀁 hieroglyphs, 𐀀𐀁 Linear B",
  "𞤀𞤁 Adlam, 𖠀 Bamum, ꙮ multiocular o",
  "\ue000\uf8ff private use",
  "~!@#$%^&*()_+-=[]{}|;':\",./<>?`",
  "...!!!???---___===***",
  "email@example.com https://example.org/path?query=1&x=y#frag",
  "int main(int argc, char** argv) {\n  return argc > 1 ? 0 : 1;\n}\n",
  "def f(x):\n    if x:\n        return [i ** 2 for i in range(x)]\n    return None\n",
  "\tif (a) {\n\t\tb();\n\t}\n",
  "const f = async (a, b) => { await g(a); return `${a}-${b}`; };",
  "<div class=\"a\">&amp; &lt;tag&gt;</div>",
  "<b>bold</b> <i>italic</i> <table><tr><td>x</td></tr></table>",
  "{\"key\": [1, 2.5, true, null], \"nested\": {\"k\": \"v\"}}",
  "SELECT * FROM users WHERE id = 42 AND name LIKE '%o%';",
  "    indented with four spaces",
  "\tindented with a tab",
  "Supercalifragilisticexpialidocious antidisestablishmentarianism",
  "pneumonoultramicroscopicsilicovolcanoconiosis",
  "Donaudampfschifffahrtsgesellschaftskapitänswitwe",
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "abababababababababababababababababababababababababababababababab",
  "                                                                ",
  "\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n",
  "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t",
  "▁ literal lower one eighth block ▁▁ twice",
  "<0x41> looks like a byte token",
  "<unk> <s> </s> <pad> [UNK]",
  "<|im_start without its end",
  "not special: <|im_start |> and < |im_end|>",
];

// Each vocabulary's own added tokens, inside text.
const specials = {
  llama3: [
    "<|begin_of_text|>",
    "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are helpful.<|eot_id|>" +
      "<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
    "text<|end_of_text|>more text",
    "<|reserved_special_token_0|><|reserved_special_token_250|>",
    "<|eot_id|><|eom_id|><|python_tag|>",
    "<|start_header_id|user",
  ],
  qwen3: [
    "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n",
    "<|im_start|>assistant\n<think>\nreasoning\n</think>\n\nanswer<|im_end|>",
    "<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>",
    "<|endoftext|>",
    "text<|endoftext|>more text",
    "<|vision_start|><|image_pad|><|vision_end|>",
    "<|fim_prefix|>def f(<|fim_suffix|>)<|fim_middle|>",
    "<think></think><think>",
  ],
  gemma3: [
    "<start_of_turn>user\nHello<end_of_turn>\n<start_of_turn>model\n",
    "<bos><start_of_turn>user\nHi<end_of_turn>",
    "<eos><pad><mask>[multimodal]",
    "<unused0><unused99> unused tokens",
    "<start_of_image><image_soft_token><end_of_image>",
    "<h1>title</h1><strong>bold</strong><code>x</code>",
    "text<end_of_turn>more text",
  ],
};

const fragments = [
  "the", " The", "  ", "   ", "\n", "\n\n", "\t", "123", "4", "é", "ñ", "日本", "語", "😀", "👍🏽",
  "'s", "'t", "'re", "'LL", "?!", "...", "x", "ABC", "-", "_", "=>", "::", "(", ")", "{", "}",
  " ", "0", "٣", "\u00a0", "\u200d", "ß", "Ω", "\r\n", "// comment", "#", "𠀀", "\u0000", "ꙮ",
  "▁", "<b>", "e\u0301",
];

// A linear congruential generator: the same strings on every run.
function mixes(extraFragments, count, seed) {
  let state = seed;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state >>> 8;
  };
  const pool = [...fragments, ...extraFragments];
  const out = [];
  for (let i = 0; i < count; ++i) {
    let text = "";
    const pieces = 1 + (next() % 14);
    for (let p = 0; p < pieces; ++p) text += pool[next() % pool.length];
    out.push(text);
  }
  return out;
}

const mixedSpecials = {
  llama3: ["<|begin_of_text|>", "<|eot_id|>", "<|start_header_id|>"],
  qwen3: ["<|im_start|>", "<|im_end|>", "<think>", "</think>"],
  gemma3: ["<start_of_turn>", "<end_of_turn>", "<bos>", "<unused3>"],
};

// Long texts: a paragraph of mixed scripts and code, as one string, so that merging runs over
// thousands of symbols at once.
const paragraph = [
  "In 2024, the model's tokenizer split 12345 digits; don't worry — it's fine.",
  "日本語の文章と中文的句子混在している。한국어도 조금.",
  "def tokenize(text):\n    return [t for t in text.split() if t]\n",
  "Ünïcödé, 𠀀, 🇫🇷 and 👨‍👩‍👧 in one line\t\twith tabs   and spaces.",
].join(" ");
const long = [paragraph.repeat(8), paragraph.repeat(8).replaceAll(" ", "  "), "x".repeat(3000)];

// The corpus for one vocabulary name (llama3, qwen3, gemma3).
export function corpus(vocabulary) {
  return [
    ...common,
    ...long,
    ...specials[vocabulary],
    ...mixes(mixedSpecials[vocabulary], 300, 12345),
  ];
}
