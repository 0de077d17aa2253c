// A module resolve hook for `node --experimental-loader=<sdk>/loader.mjs`:
// - the bare specifier 'inferlet' resolves to this SDK wherever the program is, so a program
//   needs no node_modules;
// - the program (WEFT_PROGRAM) and the .js files beside it are ES modules even without a
//   package.json saying "type": "module" (Node 18 would load them as CommonJS; Node 20.19+
//   detects the syntax).
// The hook has the resolve(specifier, context, nextResolve) shape that Node 18 (in-thread and,
// from 18.19, off-thread loaders) and Node 20+ call alike.
import path from 'node:path';
import {pathToFileURL} from 'node:url';

const entry = new URL('./src/index.js', import.meta.url).href;
const programDir = process.env.WEFT_PROGRAM ?
    pathToFileURL(path.dirname(path.resolve(process.env.WEFT_PROGRAM))).href + '/' :
    null;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'inferlet') return {url: entry, format: 'module', shortCircuit: true};
  const resolved = await nextResolve(specifier, context);
  if (programDir && resolved.url.startsWith(programDir) && resolved.url.endsWith('.js') &&
      resolved.format !== 'module') {
    return {...resolved, format: 'module'};
  }
  return resolved;
}
