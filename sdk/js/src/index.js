// The inferlet SDK for weft programs (docs/programs.md). Names and semantics follow Pie's
// inferlet JavaScript API; weft's extensions are marked where they are defined.
import './dispose.js';

export {brle} from './brle.js';
export {chat} from './chat.js';
export {anyJson, ebnf, Grammar, grammar, GrammarConstraint, jsonSchema, Matcher, regex} from './constraints.js';
export {Context} from './context.js';
export {Forward, Output, ProbeHandle, SampleHandle} from './forward.js';
export {Generator, GenStep} from './generator.js';
export {messaging, Subscription} from './messaging.js';
export {Model, Tokenizer} from './model.js';
export {Adapter, mcp, McpSession, scheduling} from './not_built.js';
export {Distribution, Entropy, Logits, Logprob, Logprobs} from './probes.js';
export {reasoning} from './reasoning.js';
export {runtime} from './runtime.js';
export {Sampler} from './sampler.js';
export {session} from './session.js';
export {NgramSpeculator} from './speculator.js';
export {tools} from './tools.js';
export {ProtocolError} from './transport.js';
