// Writes a tokenizer-only GGUF with the keys llama.cpp's converter gives a SentencePiece
// model such as Gemma 3's (tokenizer.ggml.model = "llama": pieces, scores and token types, no
// merges), built from the model's Hugging Face tokenizer.json — so that weft's GGUF path is
// checked against Hugging Face too, by a writer that shares no code with weft.
//
// The scores: Hugging Face's converter lists the merges of a SentencePiece BPE grouped by the
// piece they form, best score first, so a piece's score is recovered, up to order, as minus
// the rank of its first merge. Pieces no merge forms (characters, bytes, added tokens) come
// after all of them. Token types follow the converter: added tokens are control when special,
// user-defined otherwise; <0xNN> pieces are byte tokens; model.unk_token is the unknown token.
import { writeFileSync } from "node:fs";

const Type = { uint32: 4, int32: 5, float32: 6, bool: 7, string: 8, array: 9 };
const TokenType = { normal: 1, unknown: 2, control: 3, userDefined: 4, byte: 6 };

class Bytes {
  constructor() {
    this.chunks = [];
  }
  u32(value) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value);
    this.chunks.push(b);
  }
  i32(value) {
    const b = Buffer.alloc(4);
    b.writeInt32LE(value);
    this.chunks.push(b);
  }
  u64(value) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(value));
    this.chunks.push(b);
  }
  f32(value) {
    const b = Buffer.alloc(4);
    b.writeFloatLE(value);
    this.chunks.push(b);
  }
  string(text) {
    const b = Buffer.from(text, "utf8");
    this.u64(b.length);
    this.chunks.push(b);
  }
  buffer() {
    return Buffer.concat(this.chunks);
  }
}

function tokenTable(tokenizerJson) {
  const model = tokenizerJson.model;
  const pieces = [];
  const types = [];
  for (const [piece, id] of Object.entries(model.vocab)) {
    pieces[id] = piece;
    types[id] = /^<0x[0-9A-F]{2}>$/.test(piece) ? TokenType.byte : TokenType.normal;
  }
  for (const added of tokenizerJson.added_tokens) {
    pieces[added.id] = added.content;
    types[added.id] = added.special ? TokenType.control : TokenType.userDefined;
  }
  for (let id = 0; id < pieces.length; ++id) {
    if (pieces[id] === undefined) throw new Error(`no token has id ${id}`);
  }
  const unk = pieces.indexOf(model.unk_token);
  if (unk >= 0) types[unk] = TokenType.unknown;
  return { pieces, types, unk };
}

function scoresFromMerges(pieces, merges) {
  const ids = new Map(pieces.map((piece, id) => [piece, id]));
  const scores = new Array(pieces.length).fill(null);
  merges.forEach((merge, rank) => {
    const [left, right] = Array.isArray(merge) ? merge : merge.split(" ");
    const id = ids.get(left + right);
    if (id !== undefined && scores[id] === null) scores[id] = -rank;
  });
  return scores.map((score, id) => (score === null ? -merges.length - 1 - id : score));
}

function specialId(pieces, name) {
  const id = pieces.indexOf(name);
  if (id < 0) throw new Error(`${name} is not in the vocabulary`);
  return id;
}

// `config` is tokenizer_config.json (it names BOS, EOS and PAD).
export function writeSentencePieceGguf(path, tokenizerJson, config) {
  const { pieces, types, unk } = tokenTable(tokenizerJson);
  const scores = scoresFromMerges(pieces, tokenizerJson.model.merges);
  const entries = [
    ["tokenizer.ggml.model", Type.string, "llama"],
    ["tokenizer.ggml.pre", Type.string, "default"],
    ["tokenizer.ggml.tokens", Type.array, [Type.string, pieces]],
    ["tokenizer.ggml.scores", Type.array, [Type.float32, scores]],
    ["tokenizer.ggml.token_type", Type.array, [Type.int32, types]],
    ["tokenizer.ggml.bos_token_id", Type.uint32, specialId(pieces, config.bos_token)],
    ["tokenizer.ggml.eos_token_id", Type.uint32, specialId(pieces, config.eos_token)],
    ["tokenizer.ggml.padding_token_id", Type.uint32, specialId(pieces, config.pad_token)],
    ["tokenizer.ggml.add_bos_token", Type.bool, config.add_bos_token === true],
    ["tokenizer.ggml.add_eos_token", Type.bool, config.add_eos_token === true],
    ["tokenizer.ggml.add_space_prefix", Type.bool, false],
  ];
  if (unk >= 0) entries.push(["tokenizer.ggml.unknown_token_id", Type.uint32, unk]);

  const out = new Bytes();
  out.chunks.push(Buffer.from("GGUF"));
  out.u32(3);
  out.u64(0); // tensors
  out.u64(entries.length);
  const scalar = (type, value) => {
    if (type === Type.string) out.string(value);
    else if (type === Type.uint32) out.u32(value);
    else if (type === Type.int32) out.i32(value);
    else if (type === Type.float32) out.f32(value);
    else if (type === Type.bool) out.chunks.push(Buffer.from([value ? 1 : 0]));
  };
  for (const [key, type, value] of entries) {
    out.string(key);
    out.u32(type);
    if (type === Type.array) {
      const [elementType, elements] = value;
      out.u32(elementType);
      out.u64(elements.length);
      for (const element of elements) scalar(elementType, element);
    } else {
      scalar(type, value);
    }
  }
  let bytes = out.buffer();
  const padding = (32 - (bytes.length % 32)) % 32;
  bytes = Buffer.concat([bytes, Buffer.alloc(padding)]);
  writeFileSync(path, bytes);
}
