// What the host told the program in its hello: the runtime's identity and the loaded models.
import {hello} from './transport.js';

export const runtime = Object.freeze({
  // Names of every model the engine has loaded.
  models() { return [...hello().models];},
  // weft's version string.
  version() { return String(hello().version);},
  // This weft process's instance id.
  instanceId() { return String(hello().instance_id);},
  // The user who started the program.
  username() { return String(hello().username);},
  // weft extension: the run's seed (`weft program run --seed`), the default of every sampler.
  seed() { return hello().seed;},
});
