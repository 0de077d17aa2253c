// Samplers run in the host: a Sampler is only the description sent with a forward pass.
function positive(value, what) {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`inferlet: ${what} must be a finite number >= 0 (got ${value})`);
  }
  return value;
}

function count(value, what) {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`inferlet: ${what} must be an integer >= 1 (got ${value})`);
  }
  return value;
}

export class Sampler {
  constructor(spec) {
    this.spec = Object.freeze({...spec});
    Object.freeze(this);
  }

  static argmax() { return new Sampler({kind: 'argmax'}); }
  static topP(temperature, p) {
    return new Sampler(
        {kind: 'top_p', temperature: positive(temperature, 'temperature'), p: positive(p, 'p')});
  }
  static topK(temperature, k) {
    return new Sampler(
        {kind: 'top_k', temperature: positive(temperature, 'temperature'), k: count(k, 'k')});
  }
  static minP(temperature, p) {
    return new Sampler(
        {kind: 'min_p', temperature: positive(temperature, 'temperature'), p: positive(p, 'p')});
  }
  static topKTopP(temperature, k, p) {
    return new Sampler({
      kind: 'top_k_top_p',
      temperature: positive(temperature, 'temperature'),
      k: count(k, 'k'),
      p: positive(p, 'p'),
    });
  }
  static multinomial(temperature, draws = 1) {
    return new Sampler({
      kind: 'multinomial',
      temperature: positive(temperature, 'temperature'),
      draws: count(draws, 'draws')
    });
  }

  // weft extension: the same sampler with its own seed instead of the run's seed stream.
  withSeed(seed) {
    if (!Number.isInteger(seed) || seed < 0)
      throw new RangeError('inferlet: a seed is an integer >= 0');
    return new Sampler({...this.spec, seed});
  }

  // Tokens this sampler yields per row (draws for multinomial, else 1).
  get draws() { return this.spec.kind === 'multinomial' ? this.spec.draws : 1; }
}

export function samplerSpec(sampler) {
  if (!(sampler instanceof Sampler)) {
    throw new TypeError('inferlet: expected a Sampler (Sampler.argmax(), Sampler.topP(…), …)');
  }
  return sampler.spec;
}
