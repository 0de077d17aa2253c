// Resolves the bare specifier 'inferlet' to this stand-in, wherever the program is; the
// program file itself loads as an ES module.
import path from 'node:path';
import {pathToFileURL} from 'node:url';

const entry = new URL('./inferlet.mjs', import.meta.url).href;
const program = process.env.WEFT_PROGRAM ?
    pathToFileURL(path.resolve(process.env.WEFT_PROGRAM)).href :
    null;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'inferlet') return {url: entry, format: 'module', shortCircuit: true};
  const resolved = await nextResolve(specifier, context);
  return resolved.url === program ? {...resolved, format: 'module'} : resolved;
}
