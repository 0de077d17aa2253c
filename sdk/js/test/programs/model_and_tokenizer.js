// Reports what the Model, Tokenizer and runtime calls return, for sdk.test.mjs to check.
import {Model, runtime} from 'inferlet';

export async function main(input) {
  const model = Model.load('default');
  const byName = Model.load(runtime.models()[0]);
  const tk = model.tokenizer();
  const [ids, pieces] = tk.vocabs();
  const [specialIds, specialPieces] = tk.specialTokens();
  const encoded = Array.from(tk.encode(input.text));
  return {
    runtime: {
      seed: runtime.seed(),
      models: runtime.models(),
      version: runtime.version(),
      instanceId: runtime.instanceId(),
      username: runtime.username()
    },
    model: {
      name: model.name,
      vocabSize: model.vocabSize,
      pageSize: model.pageSize,
      contextLength: model.contextLength,
      stopTokens: Array.from(model.stopTokens),
      sameByName: byName.vocabSize === model.vocabSize
    },
    encoded,
    encodedIsUint32: tk.encode(input.text) instanceof Uint32Array,
    decoded: tk.decode(encoded),
    decodedUint32: tk.decode(Uint32Array.from(encoded)),
    vocabulary: {
      count: ids.length,
      idsAreUint32: ids instanceof Uint32Array,
      piecesAreBytes: pieces.every((p) => p instanceof Uint8Array),
      pieces: input.pieceIds.map((id) => Buffer.from(pieces[ids.indexOf(id)]).toString('latin1'))
    },
    special: {ids: Array.from(specialIds), count: specialPieces.length},
    splitRegex: (() => {
      try {
        return {pattern: tk.splitRegex()};
      } catch (error) {
        return {error: error.message};
      }
    })(),
  };
}
