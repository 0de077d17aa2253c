// main() throws: the run fails with the error's message.
export async function main(input) {
  if (input?.kind === 'rejection') {
    Promise.reject(new RangeError('an unhandled rejection'));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return 'not reached';
  }
  if (input?.kind === 'not-json') return {big: 10n};
  if (input?.kind === 'never') return new Promise(() => {});
  throw new Error('the program failed on purpose');
}
