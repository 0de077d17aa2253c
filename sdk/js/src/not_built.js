// Features of the reference API that this build of weft does not have (docs/programs.md,
// "Not built"): calling them throws an Error that names them.
export function notBuilt(what) {
  return new Error(`inferlet: ${what} is not built in weft (docs/programs.md, "Not built")`);
}

export class Adapter {
  constructor() { throw notBuilt('Adapter (LoRA adapters)'); }
  static create() { throw notBuilt('Adapter.create (LoRA adapters)'); }
  static open() { throw notBuilt('Adapter.open (LoRA adapters)'); }
}

export class McpSession {
  constructor() { throw notBuilt('McpSession (MCP)'); }
}

export const mcp = Object.freeze({
  availableServers() { throw notBuilt('mcp.availableServers (MCP)');},
  connect() { throw notBuilt('mcp.connect (MCP)');},
});

export const scheduling = Object.freeze({
  balance() { throw notBuilt('scheduling.balance (the scheduling market)');},
  rent() { throw notBuilt('scheduling.rent (the scheduling market)');},
  dividend() { throw notBuilt('scheduling.dividend (the scheduling market)');},
  latency() { throw notBuilt('scheduling.latency (the scheduling market)');},
  price() { throw notBuilt('scheduling.price (the scheduling market)');},
});
