// Explicit Resource Management (`using`) needs Symbol.dispose and Symbol.asyncDispose; Node 18
// and 20 do not define them, so the SDK installs the well-known symbols only where missing
// (TypeScript's `using` down-levelling looks them up the same way).
Symbol.dispose ??= Symbol('Symbol.dispose');
Symbol.asyncDispose ??= Symbol('Symbol.asyncDispose');

export const dispose = Symbol.dispose;
export const asyncDispose = Symbol.asyncDispose;
