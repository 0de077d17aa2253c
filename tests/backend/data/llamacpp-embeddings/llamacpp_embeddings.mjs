// Embeddings of the fixtures' reference prompt (tokens.txt, BOS first) from llama.cpp through
// node-llama-cpp's prebuilt CPU library: F32 KV cache, flash attention off, raw (not
// normalised) float32 output.
// Usage: node llamacpp_embeddings.mjs MODEL.gguf TOKENS.txt OUT.f32 CONTEXT
import fs from "node:fs";
import { getLlama } from "node-llama-cpp";

const [model_path, tokens_path, out_path, context] = process.argv.slice(2);
const tokens = fs.readFileSync(tokens_path, "utf8").trim().split(/\s+/).map(Number);
const llama = await getLlama({ gpu: false, build: "never" });
const model = await llama.loadModel({
  modelPath: model_path,
  experimentalDefaultContextKvCacheKeyType: "F32",
  experimentalDefaultContextKvCacheValueType: "F32",
  // As the fixtures' logits were made: flash attention off (its "auto" default turns it on on
  // this CPU, which moves the vectors by up to 5e-3).
  defaultContextFlashAttention: false,
});
const context_size = Number(context);
const embedding_context = await model.createEmbeddingContext({
  contextSize: context_size, batchSize: context_size, threads: 1 });
const embedding = await embedding_context.getEmbeddingFor(tokens);
fs.writeFileSync(out_path, Buffer.from(new Float32Array(embedding.vector).buffer));
console.log(`${out_path}: ${tokens.length} tokens, ${embedding.vector.length} values, first ${embedding.vector.slice(0, 3).join(" ")}`);
await model.dispose();
