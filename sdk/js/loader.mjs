// A module resolve hook for `node --experimental-loader=<sdk>/loader.mjs`: the bare specifier
// 'inferlet' resolves to this SDK wherever the program is, so a program needs no node_modules.
// The hook has the resolve(specifier, context, nextResolve) shape that Node 18 (in-thread and,
// from 18.19, off-thread loaders) and Node 20+ call alike.
const entry = new URL('./src/index.js', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'inferlet') return {url: entry, format: 'module', shortCircuit: true};
  return nextResolve(specifier, context);
}
