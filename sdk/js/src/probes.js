// Probes read a row's outputs in the host; only their results cross the wire. Each is a
// function (call it with or without `new`) returning a frozen description.
import {toTokenArray} from './model.js';

function probe(spec) { return Object.freeze({probe: Object.freeze(spec)}); }

// The row's full logits (out.logits(h): vocab_size * 4 bytes of float32).
export function Logits() { return probe({kind: 'logits'}); }

// The top-k distribution at a temperature (k = 0: the whole vocabulary).
export function Distribution(temperature = 1, k = 0) {
  if (typeof temperature !== 'number' || !(temperature >= 0)) {
    throw new RangeError('inferlet: Distribution(temperature, k) needs temperature >= 0');
  }
  if (!Number.isInteger(k) || k < 0)
    throw new RangeError('inferlet: Distribution(temperature, k) needs k >= 0');
  return probe({kind: 'distribution', temperature, k});
}

// The log-probability of one token.
export function Logprob(token) {
  return probe({kind: 'logprobs', tokens: toTokenArray([token], 'Logprob(token)')});
}

// The log-probabilities of given tokens, in their order.
export function Logprobs(tokens) {
  return probe({kind: 'logprobs', tokens: toTokenArray(tokens, 'Logprobs(tokens)')});
}

// The entropy (nats) of the row's distribution.
export function Entropy() { return probe({kind: 'entropy'}); }

export function probeSpec(value) {
  if (!value || typeof value !== 'object' || !value.probe || typeof value.probe.kind !== 'string') {
    throw new TypeError(
        'inferlet: expected a probe (Logits(), Distribution(…), Logprob(…), Logprobs(…), Entropy())');
  }
  return value.probe;
}
